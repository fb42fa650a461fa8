/*
 * Content in the shapes of the GenAI conventions' JSON schemas:
 * gen_ai.input.messages  [{"role":"user","parts":[{"type":"text","content":"…"}]}]
 * gen_ai.output.messages [{"role":"assistant","parts":[…],"finish_reason":"stop"}]
 * gen_ai.system_instructions [{"type":"text","content":"…"}]
 */
import type { InferenceRequest } from '../types.js';
import type { JsonValue } from '../internal-types.js';
import { toJsonSafe, toText, wellFormed } from './normalise.js';

type JsonObject = { [key: string]: JsonValue };

function textPart(content: string): JsonObject {
  return { type: 'text', content };
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function part(value: unknown, diagnostics: string[]): JsonValue {
  if (typeof value === 'string' || value instanceof Uint8Array) return textPart(toText(value, diagnostics));
  const safe = toJsonSafe(value, diagnostics);
  if (!isObject(safe)) return textPart(safe === undefined ? '' : typeof safe === 'string' ? safe : JSON.stringify(safe));
  // The convention names a tool's answer `response`; our MessagePart calls it `result`.
  if (safe['type'] === 'tool_call_response' && !('response' in safe) && 'result' in safe) {
    const { result, ...rest } = safe;
    return { ...rest, response: result ?? null };
  }
  return safe;
}

function parts(content: unknown, diagnostics: string[]): JsonValue[] {
  if (Array.isArray(content)) return content.map((p) => part(p, diagnostics));
  if (content === undefined || content === null) return [];
  return [textPart(toText(content, diagnostics))];
}

function message(value: unknown, diagnostics: string[]): JsonValue {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) {
    return { role: 'user', parts: parts(value, diagnostics) };
  }
  const m = value as { role?: unknown; content?: unknown; name?: unknown };
  const out: JsonObject = {
    role: typeof m.role === 'string' && m.role.length > 0 ? wellFormed(m.role, diagnostics) : 'user',
    parts: parts(m.content, diagnostics),
  };
  if (typeof m.name === 'string') out['name'] = wellFormed(m.name, diagnostics);
  return out;
}

/** gen_ai.input.messages for a request: its messages, then the bare prompt as a user message. */
export function inputMessages(request: InferenceRequest, diagnostics: string[]): JsonValue[] | undefined {
  const { messages, prompt } = request;
  let out: JsonValue[] | undefined;
  if (Array.isArray(messages) && messages.length > 0) out = messages.map((m) => message(m, diagnostics));
  if (prompt !== undefined && prompt !== null) {
    (out ??= []).push({ role: 'user', parts: [textPart(toText(prompt, diagnostics))] });
  }
  return out;
}

/** gen_ai.system_instructions: one text part per instruction. */
export function systemInstructionParts(value: unknown, diagnostics: string[]): JsonValue[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return undefined;
  return list.map((v) => textPart(toText(v, diagnostics)));
}

/** gen_ai.output.messages: one assistant message, reasoning (when separate) before the text. */
export function outputMessages(
  text: string | undefined,
  reasoning: string | undefined,
  finishReason: string | undefined,
): JsonValue[] {
  const partList: JsonValue[] = [];
  if (reasoning !== undefined) partList.push({ type: 'reasoning', content: reasoning });
  if (text !== undefined) partList.push(textPart(text));
  const out: JsonObject = { role: 'assistant', parts: partList };
  if (finishReason !== undefined) out['finish_reason'] = finishReason;
  return [out];
}
