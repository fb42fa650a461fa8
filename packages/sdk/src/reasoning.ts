/*
 * Finds the reasoning block (`<think>…</think>`, also `<thinking>…</thinking>`) that
 * reasoning models put at the start of their output. Offsets are UTF-16 code units
 * into the output, start inclusive (the opening tag), end exclusive (after the
 * closing tag).
 */

export interface ReasoningBlock {
  /** Offset of the opening tag (0 when the chat template put the tag in the prompt). */
  start: number;
  /** Offset just after the closing tag, or the output's length when it never closed. */
  end: number;
  /** The reasoning text between the tags. */
  content: string;
}

interface Tag {
  at: number;
  length: number;
}

const OPEN_TAGS = ['<think>', '<thinking>'];
const CLOSE_TAGS = ['</think>', '</thinking>'];

/** First of `tags` at or after `from`; scans '<' with a single-character search. */
function findTag(text: string, tags: readonly string[], from: number): Tag | undefined {
  for (let i = text.indexOf('<', from); i !== -1; i = text.indexOf('<', i + 1)) {
    for (const tag of tags) if (text.startsWith(tag, i)) return { at: i, length: tag.length };
  }
  return undefined;
}

export function findReasoning(output: string): ReasoningBlock | undefined {
  if (output.indexOf('<') === -1) return undefined;
  const open = findTag(output, OPEN_TAGS, 0);
  if (open !== undefined) {
    const from = open.at + open.length;
    const close = findTag(output, CLOSE_TAGS, from);
    // Unclosed: generation stopped (max tokens) while still reasoning.
    if (close === undefined) return { start: open.at, end: output.length, content: output.slice(from) };
    return { start: open.at, end: close.at + close.length, content: output.slice(from, close.at) };
  }
  // A closing tag alone: the chat template opened the block inside the prompt.
  const close = findTag(output, CLOSE_TAGS, 0);
  if (close === undefined) return undefined;
  return { start: 0, end: close.at + close.length, content: output.slice(0, close.at) };
}
