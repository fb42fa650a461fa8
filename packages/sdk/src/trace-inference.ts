import { context } from '@opentelemetry/api';
import type { AuditConfig, Inference, InferenceRequest } from './types.js';
import { InferenceCall, NOOP_INFERENCE } from './inference-call.js';
import { logger } from './diag.js';

interface Invocation<T> {
  call: InferenceCall;
  fn: (inference: Inference) => T | Promise<T>;
  called: boolean;
}

// A named function with `this` instead of a closure: one allocation less per call.
function invoke<T>(this: Invocation<T>): T | Promise<T> {
  this.called = true;
  return this.fn(this.call.handle);
}

/**
 * Run `fn` (the model call) inside an inference span that follows the OpenTelemetry
 * GenAI conventions and carries the slm_audit.* record. `fn` reports what the model
 * returned through the `inference` handle. `fn` runs exactly once; its result is
 * returned and anything it throws is recorded and rethrown unchanged. Failures of the
 * SDK itself are logged through diag and flagged on the record, never thrown.
 */
export async function traceInference<T>(
  request: InferenceRequest,
  fn: (inference: Inference) => T | Promise<T>,
  config?: AuditConfig,
): Promise<T> {
  let call: InferenceCall | undefined;
  try {
    call = InferenceCall.start(request, config);
  } catch (err) {
    logger.error('traceInference could not start the inference span; the call runs unrecorded', err);
  }
  if (call === undefined) return fn(NOOP_INFERENCE);

  const invocation: Invocation<T> = { call, fn, called: false };
  let result: T;
  try {
    result = await context.with(call.context, invoke<T>, invocation);
  } catch (err) {
    if (!invocation.called) {
      // The context manager failed before fn ran: run it plainly, exactly once.
      logger.error('traceInference could not enter the span context; the call runs unrecorded', err);
      call.end(undefined, false);
      return fn(NOOP_INFERENCE);
    }
    call.end(err, true);
    throw err;
  }
  call.end(undefined, false);
  return result;
}
