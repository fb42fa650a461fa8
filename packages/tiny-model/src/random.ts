/*
 * Seeded PRNG for the weights. Integer-only (sfc32 seeded through splitmix32), so the
 * same seed gives the same bytes on every platform and Node version; no Math.random,
 * and no Math.log/cos (their last bits may differ between engines).
 */

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over UTF-8, to fold a version string into the seed. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` must be a safe integer; both 32-bit halves are used. */
  constructor(seed: number, salt = 0) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
    const mix = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(salt, 0x165667b1));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    // Discard the first outputs: sfc32 mixes poorly right after seeding.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Zero-mean uniform noise with standard deviation `std`. */
  noise(std: number): number {
    // Uniform on [-√3·std, √3·std) has the requested std; sqrt is exact in IEEE 754.
    return (this.next() * 2 - 1) * Math.sqrt(3) * std;
  }
}
