/*
 * A minimal GGUF v3 writer: enough for F32 tensors and the metadata value types
 * llama.cpp reads. llama.cpp checks metadata types strictly, so every value names
 * its GGUF type explicitly instead of guessing from the JS value.
 */

/** GGUF metadata value types (gguf_type). */
export const GGUF_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** ggml tensor type of plain 32-bit floats. */
export const GGML_TYPE_F32 = 0;

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'u64'; value: bigint }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array:string'; value: readonly string[] }
  | { type: 'array:f32'; value: ArrayLike<number> }
  | { type: 'array:i32'; value: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** Dimensions in ggml order: the fastest-varying (row length) first. */
  dims: readonly number[];
  data: Float32Array;
}

/** Growable little-endian byte sink. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  i32(v: number): void {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }

  u64(v: bigint | number): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }

  f32(v: number): void {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.reserve(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      sink.u32(GGUF_TYPE.UINT32);
      sink.u32(v.value);
      return;
    case 'i32':
      sink.u32(GGUF_TYPE.INT32);
      sink.i32(v.value);
      return;
    case 'u64':
      sink.u32(GGUF_TYPE.UINT64);
      sink.u64(v.value);
      return;
    case 'f32':
      sink.u32(GGUF_TYPE.FLOAT32);
      sink.f32(v.value);
      return;
    case 'bool':
      sink.u32(GGUF_TYPE.BOOL);
      sink.u8(v.value ? 1 : 0);
      return;
    case 'string':
      sink.u32(GGUF_TYPE.STRING);
      sink.string(v.value);
      return;
    case 'array:string':
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.STRING);
      sink.u64(v.value.length);
      for (const s of v.value) sink.string(s);
      return;
    case 'array:f32':
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.FLOAT32);
      sink.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) sink.f32(v.value[i]!);
      return;
    case 'array:i32':
      sink.u32(GGUF_TYPE.ARRAY);
      sink.u32(GGUF_TYPE.INT32);
      sink.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) sink.i32(v.value[i]!);
      return;
  }
}

/**
 * Serialises a GGUF v3 file. `metadata` is written in insertion order; tensors are
 * F32, each data block padded to `alignment` (which must match general.alignment).
 */
export function writeGguf(
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensor[],
  alignment = 32,
): Buffer {
  const sink = new ByteSink();
  sink.bytes(Buffer.from('GGUF', 'latin1'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, value);
  }

  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) {
      throw new Error(`tensor ${t.name}: dims hold ${elements} elements but data has ${t.data.length}`);
    }
    offsets.push(offset);
    sink.string(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(GGML_TYPE_F32);
    sink.u64(offset);
    offset += elements * 4;
    offset += (alignment - (offset % alignment)) % alignment;
  }

  sink.padTo(alignment);
  const dataStart = sink.length;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    // Offsets are relative to the data section; pad up to where the info said.
    while (sink.length - dataStart < offsets[i]!) sink.u8(0);
    // Float32Array is host-endian; write explicitly little-endian for portability.
    for (let j = 0; j < t.data.length; j++) sink.f32(t.data[j]!);
  }
  sink.padTo(alignment);
  return sink.toBuffer();
}
