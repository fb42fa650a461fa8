import type { LlamaContext, LlamaContextSequence } from 'node-llama-cpp';

/**
 * Hands out the context's sequences one call at a time: a sequence holds one
 * generation's state, so concurrent calls on one sequence would corrupt each other.
 */
export class SequencePool {
  /** Every sequence of the pool, in use or not. */
  readonly sequences: readonly LlamaContextSequence[];
  private readonly free: LlamaContextSequence[];
  private readonly waiting: Array<(sequence: LlamaContextSequence) => void> = [];

  constructor(context: LlamaContext, count: number) {
    this.sequences = Array.from({ length: count }, () => context.getSequence());
    this.free = [...this.sequences];
  }

  async acquire(signal?: AbortSignal): Promise<LlamaContextSequence> {
    signal?.throwIfAborted();
    const sequence = this.free.pop();
    if (sequence) return sequence;
    return new Promise<LlamaContextSequence>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i !== -1) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      const grant = (s: LlamaContextSequence) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(s);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(sequence: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.free.push(sequence);
  }
}
