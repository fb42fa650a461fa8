/*
 * Turns whatever the caller handed us into JSON-safe values, so serialising and
 * hashing can never throw: lone surrogates and invalid UTF-8 become U+FFFD, BigInt
 * becomes a decimal string, cycles and throwing getters become markers. Each repair
 * adds a diagnostic instead of failing the call.
 */
import { AUDIT_DIAGNOSTICS } from '@slm-audit/semconv';
import { addDiagnostic } from '../diagnostics.js';
import { warnOnce } from '../diag.js';
import type { JsonValue } from '../internal-types.js';

// ES2024 string methods (Node >= 20); the project's lib is ES2023.
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const LENIENT_UTF8 = new TextDecoder('utf-8');

/** Deeper nesting than this in tool arguments is cut (and flagged). */
const MAX_DEPTH = 64;

export const CIRCULAR_MARKER = '[Circular]';
export const UNSERIALISABLE_MARKER = '[Unserialisable]';
export const DEPTH_MARKER = '[MaxDepth]';

/** The string with lone surrogates replaced by U+FFFD (flagged `invalid_utf8`). */
export function wellFormed(text: string, diagnostics: string[]): string {
  if ((text as unknown as WellFormed).isWellFormed()) return text;
  addDiagnostic(diagnostics, AUDIT_DIAGNOSTICS.INVALID_UTF8);
  warnOnce('invalid_utf8', 'content has lone UTF-16 surrogates; replaced with U+FFFD');
  return (text as unknown as WellFormed).toWellFormed();
}

/** Text content from a string or UTF-8 bytes; anything else is serialised as JSON. */
export function toText(value: unknown, diagnostics: string[]): string {
  if (typeof value === 'string') return wellFormed(value, diagnostics);
  if (value instanceof Uint8Array) return decodeUtf8(value, diagnostics);
  if (value === undefined || value === null) return '';
  const safe = toJsonSafe(value, diagnostics);
  return typeof safe === 'string' ? safe : JSON.stringify(safe) ?? '';
}

function decodeUtf8(bytes: Uint8Array, diagnostics: string[]): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    addDiagnostic(diagnostics, AUDIT_DIAGNOSTICS.INVALID_UTF8);
    warnOnce('invalid_utf8_bytes', 'content bytes are not valid UTF-8; invalid sequences replaced with U+FFFD');
    return LENIENT_UTF8.decode(bytes);
  }
}

function nonSerialisable(diagnostics: string[], what: string): void {
  addDiagnostic(diagnostics, AUDIT_DIAGNOSTICS.NON_SERIALISABLE_CONTENT);
  warnOnce(`non_serialisable:${what}`, `content holds ${what}, which JSON cannot carry; recorded as a marker string`);
}

/**
 * A JSON-safe copy of `value` (key order kept), or undefined for what JSON drops
 * (undefined, functions, symbols).
 */
export function toJsonSafe(value: unknown, diagnostics: string[], stack: object[] = []): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
      return wellFormed(value, diagnostics);
    case 'number':
      // NaN and Infinity would silently become null in JSON; keep what they were.
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      nonSerialisable(diagnostics, 'a BigInt');
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return decodeUtf8(value, diagnostics);
  if (stack.includes(value)) {
    nonSerialisable(diagnostics, 'a circular reference');
    return CIRCULAR_MARKER;
  }
  if (stack.length >= MAX_DEPTH) {
    nonSerialisable(diagnostics, 'nesting deeper than 64 levels');
    return DEPTH_MARKER;
  }
  stack.push(value);
  try {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return toJsonSafe(toJSON.call(value), diagnostics, stack) ?? null;
    }
    if (Array.isArray(value)) {
      const out: JsonValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = toJsonSafe(value[i], diagnostics, stack) ?? null;
      return out;
    }
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value)) {
      let item: unknown;
      try {
        item = (value as Record<string, unknown>)[key];
      } catch {
        nonSerialisable(diagnostics, 'a property that throws');
        out[key] = UNSERIALISABLE_MARKER;
        continue;
      }
      const safe = toJsonSafe(item, diagnostics, stack);
      if (safe !== undefined) out[key] = safe;
    }
    return out;
  } catch {
    // toJSON threw, or a Proxy refused Object.keys.
    nonSerialisable(diagnostics, 'a value that throws when read');
    return UNSERIALISABLE_MARKER;
  } finally {
    stack.pop();
  }
}
