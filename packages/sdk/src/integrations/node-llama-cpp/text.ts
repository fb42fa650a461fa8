import type { LlamaModel, Token } from 'node-llama-cpp';

const REPLACEMENT_CHAR = '\uFFFD';
// A UTF-8 character spans at most 4 bytes, so at most 4 byte-level tokens.
const MAX_PENDING_TOKENS = 4;

/**
 * Turns generated tokens into text incrementally. A token may carry part of a UTF-8
 * character (byte-fallback vocabularies); it is held until the character completes so
 * streamed chunks never contain a spurious U+FFFD.
 */
export class TokenTextDecoder {
  private readonly decoded: Token[] = [];
  private pending: Token[] = [];

  constructor(private readonly model: LlamaModel) {}

  push(token: Token): string {
    this.pending.push(token);
    // The previous tokens let SentencePiece detokenizers place leading spaces correctly.
    const text = this.model.detokenize(this.pending, false, this.decoded.slice(-MAX_PENDING_TOKENS));
    if (text.endsWith(REPLACEMENT_CHAR) && this.pending.length < MAX_PENDING_TOKENS) return '';
    this.decoded.push(...this.pending);
    this.pending = [];
    return text;
  }

  /** Text of tokens still held (an incomplete character at the end of generation). */
  flush(): string {
    if (this.pending.length === 0) return '';
    const text = this.model.detokenize(this.pending, false, this.decoded.slice(-MAX_PENDING_TOKENS));
    this.decoded.push(...this.pending);
    this.pending = [];
    return text;
  }
}

/**
 * Finds stop sequences in streamed text. Text that might be the start of a stop
 * sequence is held back, so nothing after (or part of) a stop sequence is ever streamed.
 */
export class StopSequenceMatcher {
  private readonly stops: string[];
  private readonly longest: number;
  private textSoFar = '';
  private emitted = 0;
  stopped = false;

  constructor(stops: readonly string[] | undefined) {
    this.stops = (stops ?? []).filter((s) => s.length > 0);
    this.longest = Math.max(0, ...this.stops.map((s) => s.length));
  }

  /** The output so far (cut before the stop sequence once one is found). */
  get text(): string {
    return this.textSoFar;
  }

  /** Adds decoded text; returns the part that is now safe to stream. */
  push(chunk: string): string {
    if (this.stopped || chunk.length === 0) return '';
    const searchFrom = Math.max(0, this.textSoFar.length - this.longest + 1);
    this.textSoFar += chunk;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.textSoFar.indexOf(stop, searchFrom);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.stopped = true;
      this.textSoFar = this.textSoFar.slice(0, cut);
      return this.take(cut);
    }
    return this.take(this.textSoFar.length - this.heldBack());
  }

  /** Releases held-back text when generation ends without a stop sequence. */
  end(): string {
    return this.take(this.textSoFar.length);
  }

  private heldBack(): number {
    const text = this.textSoFar;
    for (let k = Math.min(this.longest - 1, text.length); k > 0; k--) {
      const tail = text.slice(text.length - k);
      if (this.stops.some((s) => s.startsWith(tail))) return k;
    }
    return 0;
  }

  private take(end: number): string {
    const start = this.emitted;
    if (end <= start) return '';
    this.emitted = end;
    return this.textSoFar.slice(start, end);
  }
}
