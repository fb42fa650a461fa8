import type { Detector, RedactionResult, Redactor } from '../types.js';
import { BUILTIN_DETECTORS } from './detectors.js';
import { FIRST, LOCATE, SCAN, type HookedDetector, type ScanningRedactor } from './hooks.js';

interface CompiledDetector {
  readonly name: string;
  /** Own copy with the `g` flag (and `d` for a `secret` group): lastIndex is ours to move. */
  readonly re: RegExp;
  readonly replacement: string;
  readonly validate: ((match: string) => boolean) | undefined;
  readonly precheck: ((text: string) => boolean) | undefined;
  readonly first: ((text: string, from: number) => number) | undefined;
  /** Where to replace; undefined means the whole match. */
  readonly locate: ((match: RegExpExecArray) => readonly [number, number]) | undefined;
}

function locateSecretGroup(m: RegExpExecArray): readonly [number, number] {
  return m.indices?.groups?.['secret'] ?? [m.index, m.index + m[0].length];
}

function compile(detector: HookedDetector): CompiledDetector {
  if (detector === null || typeof detector !== 'object' || typeof detector.name !== 'string' || !detector.name) {
    throw new TypeError('slm-audit: a detector needs a non-empty name');
  }
  if (!(detector.pattern instanceof RegExp)) {
    throw new TypeError(`slm-audit: detector "${detector.name}" needs a RegExp pattern`);
  }
  const own = detector[LOCATE];
  const secretGroup = own === undefined && detector.pattern.source.includes('(?<secret>');
  const first = detector[FIRST];
  let flags = detector.pattern.flags.replace(/[gy]/g, '') + (first !== undefined ? 'y' : 'g');
  if (secretGroup && !flags.includes('d')) flags += 'd';
  return {
    name: detector.name,
    re: new RegExp(detector.pattern.source, flags),
    replacement: detector.replacement ?? `[REDACTED:${detector.name}]`,
    validate: detector.validate?.bind(detector),
    precheck: detector.precheck?.bind(detector),
    first,
    locate: own ?? (secretGroup ? locateSecretGroup : undefined),
  };
}

/**
 * The built-in redactor. Every detector scans the original text; where matches
 * overlap, the detector that comes first in the list keeps its match. The redacted
 * text is then built in one pass.
 */
class RegexRedactor implements Redactor, ScanningRedactor {
  private readonly detectors: readonly CompiledDetector[];

  constructor(detectors: readonly Detector[]) {
    this.detectors = detectors.map(compile);
  }

  redact(text: string): RedactionResult {
    const hits = this.find(text);
    if (hits === undefined) return { text, types: [], count: 0 };
    const order = inTextOrder(hits);
    let out = '';
    let last = 0;
    for (const i of order) {
      out += text.slice(last, hits[i]!) + this.detectors[hits[i + 2]!]!.replacement;
      last = hits[i + 1]!;
    }
    return { text: out + text.slice(last), types: this.types(hits, order), count: order.length };
  }

  [SCAN](text: string): { types: string[]; count: number } {
    const hits = this.find(text);
    if (hits === undefined) return { types: [], count: 0 };
    return { types: this.types(hits, inTextOrder(hits)), count: hits.length / 3 };
  }

  /** Detector names in the order their first match appears in the text. */
  private types(hits: number[], order: number[]): string[] {
    const types: string[] = [];
    for (const i of order) {
      const name = this.detectors[hits[i + 2]!]!.name;
      if (!types.includes(name)) types.push(name);
    }
    return types;
  }

  /** Accepted, non-overlapping matches as flat [start, end, detector index] triples. */
  private find(text: string): number[] | undefined {
    let hits: number[] | undefined;
    for (let di = 0; di < this.detectors.length; di++) {
      const d = this.detectors[di]!;
      if (d.first === undefined && d.precheck !== undefined && !d.precheck(text)) continue;
      let m = d.first === undefined ? this.scan(d.re, text, 0) : this.stick(d, text, 0);
      while (m !== null) {
        const whole = m[0];
        let start = m.index;
        let end = start + whole.length;
        if (whole.length > 0) {
          if (d.locate !== undefined) [start, end] = d.locate(m);
          if (
            end > start &&
            (d.validate === undefined || d.validate(d.locate === undefined ? whole : text.slice(start, end))) &&
            !overlaps(hits, start, end)
          ) {
            (hits ??= []).push(start, end, di);
          }
        }
        // Past the match, rejected or not (its parts are no better), and past an empty one.
        const next = m.index + Math.max(whole.length, 1);
        m = d.first === undefined ? this.scan(d.re, text, next) : this.stick(d, text, next);
      }
    }
    return hits;
  }

  /** Next match of a global pattern from `from`. */
  private scan(re: RegExp, text: string, from: number): RegExpExecArray | null {
    if (from > text.length) return null;
    re.lastIndex = from;
    return re.exec(text);
  }

  /** Next match of a sticky pattern, tried only where the detector says one may start. */
  private stick(d: CompiledDetector, text: string, from: number): RegExpExecArray | null {
    const re = d.re;
    for (let at = d.first!(text, from); at !== -1 && at <= text.length; at = d.first!(text, at + 1)) {
      re.lastIndex = at;
      const m = re.exec(text);
      if (m !== null) return m;
    }
    return null;
  }
}

/** Offsets into `hits` of its [start, end, detector] triples, by start. */
function inTextOrder(hits: number[]): number[] {
  const order: number[] = [];
  for (let i = 0; i < hits.length; i += 3) order.push(i);
  if (order.length > 1) order.sort((a, b) => hits[a]! - hits[b]!);
  return order;
}

function overlaps(hits: number[] | undefined, start: number, end: number): boolean {
  if (hits === undefined) return false;
  for (let i = 0; i < hits.length; i += 3) if (start < hits[i + 1]! && hits[i]! < end) return true;
  return false;
}

/** A redactor over the given detectors (default: all of `BUILTIN_DETECTORS`). */
export function createRedactor(detectors: readonly Detector[] = BUILTIN_DETECTORS): Redactor {
  return new RegexRedactor(detectors);
}
