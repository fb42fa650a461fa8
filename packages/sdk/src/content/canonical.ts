/*
 * The canonical form that input and system-instruction hashes cover. Not JSON:
 * serialising to JSON scans every character for escapes, which cost more than the
 * hash itself. Here every string is written as <length>":"<string> (length in UTF-16
 * code units, decimal), so nothing needs escaping and the form is unambiguous:
 *
 *   messages (gen_ai.input.messages):  "M" s(role) s(name or "") then its parts
 *   parts (gen_ai.system_instructions, and a message's parts):
 *     a part whose only keys are a string `type` and a string `content`:  "T" s(type) s(content)
 *     any other part:  "J" s(JSON.stringify(part))
 *
 * An array item with a `parts` key is a message; anything else is a part. Parsing
 * the gen_ai.input.messages JSON of a `full` record gives back the same canonical
 * form (when it was not truncated).
 */
import type { JsonValue } from '../internal-types.js';

function s(value: string): string {
  return `${value.length}:${value}`;
}

type JsonObject = { [key: string]: JsonValue };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function part(value: JsonValue): string {
  if (isObject(value)) {
    const { type, content } = value;
    let keys = 0;
    for (const _ in value) keys++;
    if (keys === 2 && typeof type === 'string' && typeof content === 'string') return 'T' + s(type) + s(content);
  }
  return 'J' + s(JSON.stringify(value) ?? 'null');
}

/** Canonical form of a message list or a part list (see above). */
export function canonicalContent(items: readonly unknown[]): string {
  let out = '';
  for (const item of items as readonly JsonValue[]) {
    if (isObject(item) && 'parts' in item) {
      const role = typeof item['role'] === 'string' ? item['role'] : '';
      const name = typeof item['name'] === 'string' ? item['name'] : '';
      out += 'M' + s(role) + s(name);
      const parts = item['parts'];
      if (Array.isArray(parts)) for (const p of parts) out += part(p);
    } else {
      out += part(item);
    }
  }
  return out;
}
