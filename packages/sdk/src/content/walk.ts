/*
 * Walks the text of convention-shaped content: every string except the structural
 * fields (role, type, finish_reason, id), which are never personal data and must
 * survive redaction and truncation intact.
 */
import type { JsonValue } from '../internal-types.js';

const STRUCTURAL = new Set(['role', 'type', 'finish_reason', 'id']);

/** Total length (UTF-16 code units) of the text in `value`. */
export function textLength(value: JsonValue): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += textLength(item);
  } else {
    for (const key in value) if (!STRUCTURAL.has(key)) n += textLength(value[key]!);
  }
  return n;
}

/** Calls `fn` on each text string, in document order. */
export function forEachText(value: JsonValue, fn: (text: string) => void): void {
  if (typeof value === 'string') {
    fn(value);
  } else if (Array.isArray(value)) {
    for (const item of value) forEachText(item, fn);
  } else if (typeof value === 'object' && value !== null) {
    for (const key in value) if (!STRUCTURAL.has(key)) forEachText(value[key]!, fn);
  }
}

/**
 * `value` with `fn` applied to each text string, in document order. Copy on write:
 * unchanged subtrees (and an unchanged whole) are returned as the same objects.
 */
export function mapText(value: JsonValue, fn: (text: string) => string): JsonValue {
  if (typeof value === 'string') return fn(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: JsonValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      const mapped = mapText(item, fn);
      if (mapped !== item) (out ??= value.slice())[i] = mapped;
    }
    return out ?? value;
  }
  let out: { [key: string]: JsonValue } | undefined;
  for (const key in value) {
    if (STRUCTURAL.has(key)) continue;
    const item = value[key]!;
    const mapped = mapText(item, fn);
    if (mapped !== item) (out ??= { ...value })[key] = mapped;
  }
  return out ?? value;
}
