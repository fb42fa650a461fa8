import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TINY_MODEL_CHAT_TEMPLATE,
  TINY_MODEL_TOKENS,
  TINY_MODEL_VOCAB_SIZE,
  buildTinyModel,
  writeTinyModel,
} from '../src/index.js';

/** Independent GGUF reader, so the test does not trust the writer's own view of the format. */
interface ParsedGguf {
  version: number;
  metadata: Map<string, { type: number; value: unknown }>;
  tensors: Array<{ name: string; dims: number[]; type: number; offset: number }>;
  dataStart: number;
}

function parseGguf(buf: Buffer): ParsedGguf {
  let pos = 0;
  const u32 = () => ((pos += 4), buf.readUInt32LE(pos - 4));
  const u64 = () => ((pos += 8), Number(buf.readBigUInt64LE(pos - 8)));
  const str = () => {
    const n = u64();
    pos += n;
    return buf.toString('utf8', pos - n, pos);
  };
  const scalar = (type: number): unknown => {
    switch (type) {
      case 4:
        return u32();
      case 5:
        return (pos += 4), buf.readInt32LE(pos - 4);
      case 6:
        return (pos += 4), buf.readFloatLE(pos - 4);
      case 7:
        return (pos += 1), buf[pos - 1] === 1;
      case 8:
        return str();
      case 10:
        return u64();
      default:
        throw new Error(`unexpected GGUF value type ${type}`);
    }
  };

  expect(buf.toString('latin1', 0, 4)).to.equal('GGUF');
  pos = 4;
  const version = u32();
  const tensorCount = u64();
  const kvCount = u64();
  const metadata = new Map<string, { type: number; value: unknown }>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    const type = u32();
    if (type === 9) {
      const itemType = u32();
      const n = u64();
      const items: unknown[] = [];
      for (let j = 0; j < n; j++) items.push(scalar(itemType));
      metadata.set(key, { type: 9, value: { itemType, items } });
    } else {
      metadata.set(key, { type, value: scalar(type) });
    }
  }
  const tensors: ParsedGguf['tensors'] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const nDims = u32();
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(u64());
    tensors.push({ name, dims, type: u32(), offset: u64() });
  }
  const dataStart = Math.ceil(pos / 32) * 32;
  return { version, metadata, tensors, dataStart };
}

const meta = (g: ParsedGguf, key: string) => g.metadata.get(key)?.value;
const metaType = (g: ParsedGguf, key: string) => g.metadata.get(key)?.type;

describe('@slm-audit/tiny-model', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tiny-model-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is deterministic for a seed and version', () => {
    const a = buildTinyModel({ seed: 7, version: '2' });
    const b = buildTinyModel({ seed: 7, version: '2' });
    expect(a.equals(b)).to.equal(true);
  });

  it('produces the same bytes as when this test was written (platform-independent)', () => {
    // Update only on purpose: demos and audit examples identify the model by this digest.
    const digest = createHash('sha256').update(buildTinyModel()).digest('hex');
    expect(digest).to.equal('308f4c15cf249769fd103fbfef370ef3c69631bc6e72b3979d36ff37775e1517');
  });

  it('differs between seeds and between versions', () => {
    const base = buildTinyModel({ seed: 1, version: '1' });
    const otherSeed = buildTinyModel({ seed: 2, version: '1' });
    const otherVersion = buildTinyModel({ seed: 1, version: '1.1' });
    expect(base.equals(otherSeed)).to.equal(false);
    expect(base.equals(otherVersion)).to.equal(false);

    // The version changes the weights, not only the metadata.
    const weights = (buf: Buffer) => {
      const g = parseGguf(buf);
      return buf.subarray(g.dataStart);
    };
    expect(weights(base).equals(weights(otherVersion))).to.equal(false);
    expect(weights(base).equals(weights(otherSeed))).to.equal(false);
  });

  it('is a GGUF v3 llama with the documented hyperparameters and vocabulary', () => {
    const buf = buildTinyModel({ seed: 3, version: '0.9.0', contextLength: 512 });
    const g = parseGguf(buf);
    expect(g.version).to.equal(3);
    expect(meta(g, 'general.architecture')).to.equal('llama');
    expect(meta(g, 'general.version')).to.equal('0.9.0');
    expect(meta(g, 'general.name')).to.contain('0.9.0');
    expect(meta(g, 'general.file_type')).to.equal(0);
    expect(meta(g, 'general.alignment')).to.equal(32);
    expect(metaType(g, 'general.alignment')).to.equal(4); // u32: llama.cpp checks types
    expect(meta(g, 'llama.context_length')).to.equal(512);
    expect(meta(g, 'llama.vocab_size')).to.equal(TINY_MODEL_VOCAB_SIZE);
    expect(meta(g, 'llama.embedding_length')).to.equal(64);
    expect(meta(g, 'llama.block_count')).to.equal(2);
    expect(meta(g, 'llama.rope.dimension_count')).to.equal(16);
    expect(metaType(g, 'llama.attention.layer_norm_rms_epsilon')).to.equal(6);
    expect(metaType(g, 'llama.rope.freq_base')).to.equal(6);
    expect(meta(g, 'tokenizer.ggml.model')).to.equal('llama');
    expect(meta(g, 'tokenizer.ggml.add_bos_token')).to.equal(true);
    expect(meta(g, 'tokenizer.ggml.add_space_prefix')).to.equal(false);
    expect(meta(g, 'tokenizer.chat_template')).to.equal(TINY_MODEL_CHAT_TEMPLATE);
    expect(meta(g, 'tokenizer.chat_template')).to.contain('bos_token');

    const tokens = (meta(g, 'tokenizer.ggml.tokens') as { items: string[] }).items;
    const types = (meta(g, 'tokenizer.ggml.token_type') as { items: number[] }).items;
    expect(tokens).to.have.length(TINY_MODEL_VOCAB_SIZE);
    expect(tokens.slice(0, 3)).to.deep.equal(['<unk>', '<s>', '</s>']);
    expect(tokens[TINY_MODEL_TOKENS.FIRST_BYTE + 0x0a]).to.equal('<0x0A>');
    expect(tokens[TINY_MODEL_TOKENS.FIRST_BYTE + 0xff]).to.equal('<0xFF>');
    expect(types[TINY_MODEL_TOKENS.FIRST_BYTE + 0x41]).to.equal(6);
    expect(tokens[TINY_MODEL_TOKENS.SPACE]).to.equal('\u2581');
    expect(types[TINY_MODEL_TOKENS.SPACE]).to.equal(1);
  });

  it('lays tensors out aligned, in ggml order, within the file, finite', () => {
    const buf = buildTinyModel();
    const g = parseGguf(buf);
    expect(g.tensors).to.have.length(3 + 2 * 9);
    const byName = new Map(g.tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')!.dims).to.deep.equal([64, 260]);
    expect(byName.get('output.weight')!.dims).to.deep.equal([64, 260]);
    expect(byName.get('blk.1.ffn_down.weight')!.dims).to.deep.equal([128, 64]);
    expect(byName.get('blk.0.ffn_gate.weight')!.dims).to.deep.equal([64, 128]);
    expect(byName.get('blk.0.attn_q.weight')!.dims).to.deep.equal([64, 64]);
    for (const t of g.tensors) {
      expect(t.type, t.name).to.equal(0);
      expect(t.offset % 32, t.name).to.equal(0);
      const elements = t.dims.reduce((a, b) => a * b, 1);
      const start = g.dataStart + t.offset;
      expect(start + elements * 4, t.name).to.be.at.most(buf.length);
      for (let i = 0; i < elements; i++) {
        if (!Number.isFinite(buf.readFloatLE(start + i * 4))) expect.fail(`${t.name}[${i}] is not finite`);
      }
    }
  });

  it('writes the file and reports its sha256 and size (~470 KB)', async () => {
    const path = join(dir, 'nested', 'tiny.gguf');
    const file = await writeTinyModel(path, { seed: 11, version: '3' });
    const bytes = await readFile(path);
    expect(file.path).to.equal(path);
    expect(file.bytes).to.equal(bytes.length);
    expect((await stat(path)).size).to.equal(file.bytes);
    expect(file.sha256).to.equal(createHash('sha256').update(bytes).digest('hex'));
    expect(file.bytes).to.be.within(440_000, 500_000);
    expect(bytes.equals(buildTinyModel({ seed: 11, version: '3' }))).to.equal(true);
  });

  it('rejects seeds that cannot be reproduced exactly', () => {
    expect(() => buildTinyModel({ seed: 1.5 })).to.throw(RangeError);
    expect(() => buildTinyModel({ seed: -1 })).to.throw(RangeError);
    expect(() => buildTinyModel({ contextLength: 4 })).to.throw(RangeError);
  });
});
