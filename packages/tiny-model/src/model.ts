/*
 * The tiny model: a 2-block llama with a byte-level SentencePiece vocabulary and
 * seeded random weights. Not trained; it exists so demos and tests can run a real
 * llama.cpp runtime (tokenizer, chat template, sampling, logprobs) without weights
 * from the network.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type GgufTensor, type GgufValue, writeGguf } from './gguf-writer.js';
import { SeededRandom, fnv1a32 } from './random.js';

export const TINY_MODEL_EMBEDDING_LENGTH = 64;
export const TINY_MODEL_BLOCK_COUNT = 2;
export const TINY_MODEL_FEED_FORWARD_LENGTH = 128;
export const TINY_MODEL_HEAD_COUNT = 4;
export const TINY_MODEL_DEFAULT_CONTEXT_LENGTH = 1024;
export const TINY_MODEL_DEFAULT_SEED = 42;
export const TINY_MODEL_DEFAULT_VERSION = '1';
export const TINY_MODEL_ALIGNMENT = 32;

/** Token ids of the special tokens. */
export const TINY_MODEL_TOKENS = { UNK: 0, BOS: 1, EOS: 2, FIRST_BYTE: 3, SPACE: 259 } as const;
/** `<unk>`, `<s>`, `</s>`, 256 byte tokens, `▁`. */
export const TINY_MODEL_VOCAB_SIZE = 260;

/**
 * Role-marker template. It emits `bos_token` itself, as real llama templates do, so
 * runtimes that render it see the BOS they expect.
 */
export const TINY_MODEL_CHAT_TEMPLATE =
  '{{ bos_token }}{% for message in messages %}<|{{ message.role }}|>{{ message.content }}\n{% endfor %}' +
  '{% if add_generation_prompt %}<|assistant|>{% endif %}';

export interface TinyModelOptions {
  /** Weights are a pure function of seed and version. Default 42; a safe integer. */
  seed?: number;
  /** Written to general.version and general.name, and mixed into the weights. Default `1`. */
  version?: string;
  /** llama.context_length. Default 1024 (chat templates need room). */
  contextLength?: number;
}

export interface TinyModelFile {
  path: string;
  /** Hex SHA-256 of the file. */
  sha256: string;
  bytes: number;
}

// SentencePiece token types (llama_token_type).
const TOKEN_TYPE_NORMAL = 1;
const TOKEN_TYPE_UNKNOWN = 2;
const TOKEN_TYPE_CONTROL = 3;
const TOKEN_TYPE_BYTE = 6;

function vocabulary(): { tokens: string[]; scores: Float32Array; types: Int32Array } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TOKEN_TYPE_UNKNOWN, TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL];
  for (let b = 0; b < 256; b++) {
    // llama.cpp looks byte tokens up by this exact spelling (upper-case hex).
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE_BYTE);
  }
  // Without the SentencePiece space piece every space would fall back to bytes.
  tokens.push('\u2581');
  types.push(TOKEN_TYPE_NORMAL);
  return { tokens, scores: new Float32Array(tokens.length), types: Int32Array.from(types) };
}

// Relative English letter frequencies (a..z), for readable-looking output.
const LETTER_FREQ = [
  8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4, 6.7, 7.5, 1.9, 0.1, 6.0, 6.3, 9.1, 2.8,
  0.98, 2.4, 0.15, 2.0, 0.07,
];

/**
 * Logit bias per token, carried by the output layer. Random weights alone often emit
 * `</s>` at once or bytes ≥ 0x80 (invalid UTF-8); this keeps generation going and
 * mostly within printable ASCII.
 */
function outputBias(): Float64Array {
  const NEVER = -30;
  const bias = new Float64Array(TINY_MODEL_VOCAB_SIZE).fill(NEVER);
  // Math.log may differ in the last bit between engines; rounding keeps the bytes reproducible.
  const logOf = (p: number) => Math.round(Math.log(p) * 1e6) / 1e6;
  const weight = (byte: number, p: number) => {
    bias[TINY_MODEL_TOKENS.FIRST_BYTE + byte] = logOf(p);
  };
  for (let i = 0; i < 26; i++) {
    weight(0x61 + i, LETTER_FREQ[i]! / 100);
    weight(0x41 + i, LETTER_FREQ[i]! / 2000);
  }
  for (let d = 0; d < 10; d++) weight(0x30 + d, 0.003);
  for (const ch of ".,'-") weight(ch.charCodeAt(0), 0.01);
  for (const ch of '!?;:"()') weight(ch.charCodeAt(0), 0.002);
  weight(0x0a, 0.004);
  // Spaces come out as `▁` (what the tokenizer produces), not as the 0x20 byte.
  bias[TINY_MODEL_TOKENS.SPACE] = logOf(0.17);
  return bias;
}

/** `[in, out]` in ggml order; data is `out` rows of `in` floats. */
function matrix(rng: SeededRandom, inDim: number, outDim: number, gain: number): Float32Array {
  const data = new Float32Array(inDim * outDim);
  const std = gain / Math.sqrt(inDim);
  for (let i = 0; i < data.length; i++) data[i] = rng.noise(std);
  return data;
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

function buildTensors(rng: SeededRandom): GgufTensor[] {
  const E = TINY_MODEL_EMBEDDING_LENGTH;
  const F = TINY_MODEL_FEED_FORWARD_LENGTH;
  const V = TINY_MODEL_VOCAB_SIZE;
  // Hidden dimension 0 is a constant "bias channel": every embedding has ANCHOR there and
  // no block writes to it, so after the final RMS norm it is a near-constant input the
  // output layer turns into a per-token logit bias (llama has no output bias tensor).
  const ANCHOR = 2;
  // Output rows lean away from their own token's embedding: a built-in repetition
  // penalty, so greedy decoding does not settle on one token.
  const SELF_AVOID = 1.5;

  const embd = new Float32Array(E * V);
  for (let t = 0; t < V; t++) {
    embd[t * E] = ANCHOR;
    for (let i = 1; i < E; i++) embd[t * E + i] = rng.noise(1);
  }

  const tensors: GgufTensor[] = [{ name: 'token_embd.weight', dims: [E, V], data: embd }];
  for (let b = 0; b < TINY_MODEL_BLOCK_COUNT; b++) {
    const attnOut = matrix(rng, E, E, 0.6);
    const ffnDown = matrix(rng, F, E, 0.6);
    const attnV = matrix(rng, E, E, 1);
    // A partly identity value/output path carries earlier tokens' embeddings forward,
    // so the self-avoidance below also discourages recently seen tokens.
    for (let i = 1; i < E; i++) {
      attnV[i * E + i]! += 0.5;
      attnOut[i * E + i]! += 0.5;
    }
    attnOut.fill(0, 0, E); // output row 0 = the bias channel stays untouched
    ffnDown.fill(0, 0, F);
    tensors.push(
      { name: `blk.${b}.attn_norm.weight`, dims: [E], data: ones(E) },
      { name: `blk.${b}.attn_q.weight`, dims: [E, E], data: matrix(rng, E, E, 1) },
      { name: `blk.${b}.attn_k.weight`, dims: [E, E], data: matrix(rng, E, E, 1) },
      { name: `blk.${b}.attn_v.weight`, dims: [E, E], data: attnV },
      { name: `blk.${b}.attn_output.weight`, dims: [E, E], data: attnOut },
      { name: `blk.${b}.ffn_norm.weight`, dims: [E], data: ones(E) },
      { name: `blk.${b}.ffn_gate.weight`, dims: [E, F], data: matrix(rng, E, F, 1) },
      { name: `blk.${b}.ffn_up.weight`, dims: [E, F], data: matrix(rng, E, F, 1) },
      { name: `blk.${b}.ffn_down.weight`, dims: [F, E], data: ffnDown },
    );
  }

  const bias = outputBias();
  const out = new Float32Array(E * V);
  for (let t = 0; t < V; t++) {
    out[t * E] = bias[t]!;
    for (let i = 1; i < E; i++) out[t * E + i] = rng.noise(0.3) - (SELF_AVOID * embd[t * E + i]!) / Math.sqrt(E);
  }
  tensors.push({ name: 'output_norm.weight', dims: [E], data: ones(E) }, { name: 'output.weight', dims: [E, V], data: out });
  return tensors;
}

function resolve(options: TinyModelOptions): Required<TinyModelOptions> {
  const seed = options.seed ?? TINY_MODEL_DEFAULT_SEED;
  const version = options.version ?? TINY_MODEL_DEFAULT_VERSION;
  const contextLength = options.contextLength ?? TINY_MODEL_DEFAULT_CONTEXT_LENGTH;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  if (!Number.isInteger(contextLength) || contextLength < 16 || contextLength > 0xffff_ffff) {
    throw new RangeError(`contextLength must be an integer ≥ 16, got ${contextLength}`);
  }
  return { seed, version, contextLength };
}

/** Builds the GGUF file in memory. Same options → identical bytes. */
export function buildTinyModel(options: TinyModelOptions = {}): Buffer {
  const { seed, version, contextLength } = resolve(options);
  const rng = new SeededRandom(seed, fnv1a32(version));
  const vocab = vocabulary();
  const E = TINY_MODEL_EMBEDDING_LENGTH;
  const H = TINY_MODEL_HEAD_COUNT;

  const metadata: Array<readonly [string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `slm-audit tiny llama ${version}` }],
    ['general.version', { type: 'string', value: version }],
    ['general.description', { type: 'string', value: `Untrained test model, random weights from seed ${seed}` }],
    ['general.license', { type: 'string', value: 'apache-2.0' }],
    ['general.file_type', { type: 'u32', value: 0 }], // LLAMA_FTYPE_ALL_F32
    ['general.alignment', { type: 'u32', value: TINY_MODEL_ALIGNMENT }],
    ['llama.vocab_size', { type: 'u32', value: TINY_MODEL_VOCAB_SIZE }],
    ['llama.context_length', { type: 'u32', value: contextLength }],
    ['llama.embedding_length', { type: 'u32', value: E }],
    ['llama.block_count', { type: 'u32', value: TINY_MODEL_BLOCK_COUNT }],
    ['llama.feed_forward_length', { type: 'u32', value: TINY_MODEL_FEED_FORWARD_LENGTH }],
    ['llama.attention.head_count', { type: 'u32', value: H }],
    ['llama.attention.head_count_kv', { type: 'u32', value: H }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.rope.dimension_count', { type: 'u32', value: E / H }],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array:string', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'array:f32', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'array:i32', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: TINY_MODEL_TOKENS.UNK }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: TINY_MODEL_TOKENS.BOS }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: TINY_MODEL_TOKENS.EOS }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: TINY_MODEL_CHAT_TEMPLATE }],
  ];
  return writeGguf(metadata, buildTensors(rng), TINY_MODEL_ALIGNMENT);
}

/**
 * Writes the model to `path` (parent directories are created). The file appears
 * atomically, so concurrent writers of the same options never expose a partial file.
 */
export async function writeTinyModel(path: string, options: TinyModelOptions = {}): Promise<TinyModelFile> {
  const data = buildTinyModel(options);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { path, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}
