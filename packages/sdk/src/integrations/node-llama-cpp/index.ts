/*
 * @slm-audit/sdk/node-llama-cpp: audited inference on an in-process llama.cpp model.
 * Every call is one traceInference record with real token counts, time to first token,
 * per-token confidence and the model file's identity.
 */
export {
  createAuditedModel,
  ContextLengthExceededError,
  DEFAULT_MAX_CONTEXT_SIZE,
  LLAMA_CPP_PROVIDER,
  type AuditedModel,
  type AuditedModelOptions,
  type CallAuditOptions,
  type ChatOptions,
  type ChatResult,
  type CompletionOptions,
  type CompletionResult,
  type FinishReason,
  type GenerationOptions,
  type GenerationResult,
} from './audited-model.js';
export { getSharedLlama, disposeSharedLlama } from './llama.js';
export { modelIdentityOf, parameterSize, quantizationName, sha256File } from './identity.js';
export { rescoreTokens, toLogprob } from './scoring.js';
export { toChatHistory } from './messages.js';
