import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { GgufFileType, type LlamaModel } from 'node-llama-cpp';
import type { ModelIdentity } from '../../index.js';

const digests = new Map<string, Promise<string>>();

/**
 * Hex SHA-256 of a file, cached per (real path, size, mtime): hashing multi-GB weights
 * takes seconds, and every audited call needs the digest.
 */
export async function sha256File(path: string): Promise<string> {
  const real = await realpath(path);
  const info = await stat(real);
  const key = `${real}\0${info.size}\0${info.mtimeMs}`;
  let digest = digests.get(key);
  if (!digest) {
    digest = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(real)
        .on('data', (chunk) => hash.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(hash.digest('hex')));
    });
    digests.set(key, digest);
    digest.catch(() => digests.delete(key));
  }
  return digest;
}

/** `F32`, `Q4_K_M`, … from general.file_type (the names llama.cpp's quantize tool uses). */
export function quantizationName(fileType: number | undefined): string | undefined {
  if (fileType == null) return undefined;
  const name = (GgufFileType as unknown as Record<number, string | undefined>)[fileType];
  return name?.replace(/^(ALL|MOSTLY)_/, '');
}

/** Parameter count as Ollama spells it (`7B`, `1.1B`, `135M`, `116K`), from the tensor shapes. */
export function parameterSize(model: LlamaModel): string | undefined {
  const tensors = model.fileInfo.fullTensorInfo ?? model.fileInfo.tensorInfo;
  if (!tensors?.length) return undefined;
  let count = 0;
  for (const t of tensors) count += t.dimensions.reduce<number>((n, d) => n * Number(d), 1);
  const units: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, suffix] of units) {
    if (count >= scale) {
      const value = count / scale;
      return `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))}${suffix}`;
    }
  }
  return String(count);
}

/** What identifies the loaded weights, for slm_audit.model.*. */
export function modelIdentityOf(
  model: LlamaModel,
  options: { digest?: string; version?: string; contextSize?: number },
): ModelIdentity {
  const general = model.fileInfo.metadata?.general;
  // general.version is in the GGUF spec but not in node-llama-cpp's metadata type.
  const fileVersion = (general as { version?: unknown } | undefined)?.version;
  const identity: ModelIdentity = {
    digest: options.digest,
    version: options.version ?? (typeof fileVersion === 'string' ? fileVersion : undefined),
    quantization: quantizationName(general?.file_type),
    contextSize: options.contextSize,
    family: general?.architecture,
    parameterSize: parameterSize(model),
  };
  for (const key of Object.keys(identity) as Array<keyof ModelIdentity>) {
    if (identity[key] === undefined) delete identity[key];
  }
  return identity;
}
