/*
 * Walks the text of convention-shaped content: a list of messages
 * (`{ role, parts, finish_reason, name }`) or of parts (`{ type, id, content,
 * arguments, result, … }`). The structural fields of a message or a part (role, type,
 * finish_reason, id) are never personal data and must survive redaction and
 * truncation intact. Everything below a part's own fields — a tool call's arguments, a
 * tool's result — is data, whatever its keys are called, and numbers there are text
 * too (a card number can arrive as a JSON number).
 */
import type { JsonValue } from '../internal-types.js';

const STRUCTURAL = new Set(['role', 'type', 'finish_reason', 'id']);

/** Where a value sits: in the message/part skeleton, or in free data below it. */
const enum Level {
  /** A list of messages or parts, or such a list's items. */
  Skeleton,
  /** Anything inside a part's fields: every string and number is text. */
  Data,
}

/** The level of a skeleton object's child: a message's `parts` list stays skeleton. */
function childLevel(key: string): Level {
  return key === 'parts' ? Level.Skeleton : Level.Data;
}

/** Total length (UTF-16 code units) of the string text in `value`. */
export function textLength(value: JsonValue, level: Level = Level.Skeleton): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += textLength(item, level);
  } else {
    for (const key in value) {
      if (level === Level.Skeleton && STRUCTURAL.has(key)) continue;
      n += textLength(value[key]!, level === Level.Skeleton ? childLevel(key) : Level.Data);
    }
  }
  return n;
}

/** Calls `fn` on each text (numbers in data as their decimal text), in document order. */
export function forEachText(value: JsonValue, fn: (text: string) => void, level: Level = Level.Skeleton): void {
  if (typeof value === 'string') {
    fn(value);
  } else if (typeof value === 'number') {
    if (level === Level.Data) fn(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) forEachText(item, fn, level);
  } else if (typeof value === 'object' && value !== null) {
    for (const key in value) {
      if (level === Level.Skeleton && STRUCTURAL.has(key)) continue;
      forEachText(value[key]!, fn, level === Level.Skeleton ? childLevel(key) : Level.Data);
    }
  }
}

/**
 * `value` with `fn` applied to each string, in document order. With `numbers`, a number
 * in data is passed as its decimal text too and becomes the string `fn` returns when
 * that differs (redaction); without, numbers stay as they are (truncation). Copy on
 * write: unchanged subtrees (and an unchanged whole) are returned as the same objects.
 */
export function mapText(value: JsonValue, fn: (text: string) => string, numbers = false): JsonValue {
  return mapLevel(value, fn, numbers, Level.Skeleton);
}

function mapLevel(value: JsonValue, fn: (text: string) => string, numbers: boolean, level: Level): JsonValue {
  if (typeof value === 'string') return fn(value);
  if (typeof value === 'number') {
    if (!numbers || level !== Level.Data) return value;
    const text = String(value);
    const mapped = fn(text);
    return mapped === text ? value : mapped;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: JsonValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      const mapped = mapLevel(item, fn, numbers, level);
      if (mapped !== item) (out ??= value.slice())[i] = mapped;
    }
    return out ?? value;
  }
  let out: { [key: string]: JsonValue } | undefined;
  for (const key in value) {
    if (level === Level.Skeleton && STRUCTURAL.has(key)) continue;
    const item = value[key]!;
    const mapped = mapLevel(item, fn, numbers, level === Level.Skeleton ? childLevel(key) : Level.Data);
    if (mapped !== item) (out ??= { ...value })[key] = mapped;
  }
  return out ?? value;
}
