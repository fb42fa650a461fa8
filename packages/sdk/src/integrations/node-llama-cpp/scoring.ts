import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from 'node-llama-cpp';

// Smallest positive float32: a probability that underflowed still gets a finite logprob.
const MIN_PROBABILITY = 1.401298464324817e-45;

/** Natural-log probability, finite even when the runtime reports 0. */
export function toLogprob(probability: number | undefined): number {
  return Math.log(Math.max(probability ?? 0, MIN_PROBABILITY));
}

/**
 * Teacher-forced scoring: the model's own log-probability (temperature 1, no top-k/top-p)
 * of each of `tokens` following `prefix`. Reuses the sequence's cached state for the
 * prefix and leaves the sequence holding `prefix` plus all but the last token.
 *
 * Costs one batched forward pass over the tokens, plus a full-vocabulary probability
 * map per token (llama.cpp gives no cheaper way to read one token's probability).
 */
export async function rescoreTokens(
  sequence: LlamaContextSequence,
  prefix: readonly Token[],
  tokens: readonly Token[],
): Promise<number[]> {
  if (tokens.length === 0) return [];
  if (prefix.length === 0) throw new RangeError('rescoreTokens needs at least one prefix token (e.g. BOS)');
  if (prefix.length + tokens.length - 1 > sequence.contextSize) {
    throw new RangeError(
      `cannot score ${tokens.length} tokens after ${prefix.length}: the context holds ${sequence.contextSize}`,
    );
  }
  // The last prefix token must be evaluated again: its logits predict tokens[0].
  await sequence.adaptStateToTokens(prefix.slice(0, -1), false);
  const cached = sequence.nextTokenIndex;
  const toEvaluate = [...prefix.slice(cached), ...tokens.slice(0, -1)];
  const firstScored = prefix.length - 1 - cached;
  const input: ControlledEvaluateInputItem[] = toEvaluate.map((token, i) =>
    i >= firstScored ? [token, { generateNext: { probabilities: true } }] : token,
  );
  const output = await sequence.controlledEvaluate(input);
  return tokens.map((token, j) => toLogprob(output[firstScored + j]?.next.probabilities?.get(token)));
}
