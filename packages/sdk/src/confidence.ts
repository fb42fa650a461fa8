import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB,
  ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB,
  ATTR_AUDIT_CONFIDENCE_PERPLEXITY,
  ATTR_AUDIT_CONFIDENCE_SCORE,
  ATTR_AUDIT_CONFIDENCE_SOURCE,
  ATTR_AUDIT_CONFIDENCE_TOKENS,
} from '@slm-audit/semconv';
import type { Confidence } from './types.js';
import { warnOnce } from './diag.js';

export interface ConfidenceStats {
  meanLogprob: number;
  minLogprob: number;
  perplexity: number;
  score: number;
  tokens: number;
}

/**
 * Statistics over natural-log token probabilities: mean, min, perplexity = exp(-mean)
 * and score = exp(mean) (the geometric-mean token probability, in [0, 1]). Values
 * that are not finite or above 0 are skipped; undefined when none are left.
 */
export function logprobStats(logprobs: ArrayLike<number>): ConfidenceStats | undefined {
  let sum = 0;
  let min = Infinity;
  let n = 0;
  for (let i = 0; i < logprobs.length; i++) {
    const lp = logprobs[i];
    if (typeof lp !== 'number' || !Number.isFinite(lp) || lp > 0) continue;
    sum += lp;
    if (lp < min) min = lp;
    n++;
  }
  if (n === 0) return undefined;
  const mean = sum / n;
  return { meanLogprob: mean, minLogprob: min, perplexity: Math.exp(-mean), score: Math.exp(mean), tokens: n };
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** slm_audit.confidence.* for what the caller reported. */
export function writeConfidenceAttributes(confidence: Confidence, attrs: Attributes): void {
  if (confidence === null || typeof confidence !== 'object') return;
  if ('tokenLogprobs' in confidence && confidence.tokenLogprobs !== undefined) {
    const stats = logprobStats(confidence.tokenLogprobs);
    if (stats === undefined) {
      warnOnce('empty_logprobs', 'confidence.tokenLogprobs holds no usable log probabilities; no confidence recorded');
      return;
    }
    attrs[ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB] = stats.meanLogprob;
    attrs[ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB] = stats.minLogprob;
    attrs[ATTR_AUDIT_CONFIDENCE_PERPLEXITY] = stats.perplexity;
    attrs[ATTR_AUDIT_CONFIDENCE_SCORE] = stats.score;
    attrs[ATTR_AUDIT_CONFIDENCE_TOKENS] = stats.tokens;
    attrs[ATTR_AUDIT_CONFIDENCE_SOURCE] = confidence.source ?? 'logprobs';
    return;
  }
  const c = confidence as Exclude<Confidence, { tokenLogprobs: ArrayLike<number> }>;
  let any = false;
  if (finite(c.meanLogprob)) {
    attrs[ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB] = c.meanLogprob;
    any = true;
  }
  if (finite(c.minLogprob)) {
    attrs[ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB] = c.minLogprob;
    any = true;
  }
  const perplexity = finite(c.perplexity) ? c.perplexity : finite(c.meanLogprob) ? Math.exp(-c.meanLogprob) : undefined;
  if (perplexity !== undefined) {
    attrs[ATTR_AUDIT_CONFIDENCE_PERPLEXITY] = perplexity;
    any = true;
  }
  let score = finite(c.score) ? c.score : finite(c.meanLogprob) ? Math.exp(c.meanLogprob) : undefined;
  if (score !== undefined && (score < 0 || score > 1)) {
    warnOnce('score_range', `confidence score ${score} is outside [0, 1]; not recorded`);
    score = undefined;
  }
  if (score !== undefined) {
    attrs[ATTR_AUDIT_CONFIDENCE_SCORE] = score;
    any = true;
  }
  if (finite(c.tokens) && c.tokens >= 0) {
    attrs[ATTR_AUDIT_CONFIDENCE_TOKENS] = Math.floor(c.tokens);
    any = true;
  }
  if (any) attrs[ATTR_AUDIT_CONFIDENCE_SOURCE] = c.source ?? 'caller';
}
