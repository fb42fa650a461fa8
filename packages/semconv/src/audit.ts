/*
 * The slm_audit.* namespace: audit attributes the GenAI conventions lack.
 * Documented in docs/attributes.md; every name here has a typed column in
 * slm_inferences. Units: durations in seconds (double), as the GenAI conventions use.
 */

/** Unique id of the audit record (UUID v4). Associated data for encryption, dedup key. */
export const ATTR_AUDIT_RECORD_ID = 'slm_audit.record.id';

// Who and where (set from the audit context).
export const ATTR_AUDIT_TENANT_ID = 'slm_audit.tenant.id';
/** The product feature that made the call (e.g. "support-reply"). */
export const ATTR_AUDIT_FEATURE = 'slm_audit.feature';

// Prompt template.
export const ATTR_AUDIT_PROMPT_TEMPLATE_ID = 'slm_audit.prompt.template.id';
export const ATTR_AUDIT_PROMPT_TEMPLATE_VERSION = 'slm_audit.prompt.template.version';

// Content governance.
/** Policy applied to the input (`none` | `hash` | `redacted` | `full`). */
export const ATTR_AUDIT_CONTENT_INPUT_POLICY = 'slm_audit.content.input_policy';
/** Policy applied to the output. */
export const ATTR_AUDIT_CONTENT_OUTPUT_POLICY = 'slm_audit.content.output_policy';
/** Policy applied to the system instructions. */
export const ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY = 'slm_audit.content.system_instructions_policy';
/** Keyed HMAC-SHA256 (hex) of the canonical input messages. */
export const ATTR_AUDIT_INPUT_HASH = 'slm_audit.input.hash';
/** Keyed HMAC-SHA256 (hex) of the output text. */
export const ATTR_AUDIT_OUTPUT_HASH = 'slm_audit.output.hash';
/** Keyed HMAC-SHA256 (hex) of the system instructions. */
export const ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH = 'slm_audit.system_instructions.hash';
/** Id of the HMAC key that produced the hashes (for rotation). */
export const ATTR_AUDIT_HASH_KEY_ID = 'slm_audit.hash.key_id';
/** Characters of input before truncation (set only when truncated). */
export const ATTR_AUDIT_INPUT_ORIGINAL_LENGTH = 'slm_audit.input.original_length';
export const ATTR_AUDIT_INPUT_TRUNCATED = 'slm_audit.input.truncated';
export const ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH = 'slm_audit.output.original_length';
export const ATTR_AUDIT_OUTPUT_TRUNCATED = 'slm_audit.output.truncated';
/** Detector names that found something in the content (string[]), e.g. ["email","payment_card"]. */
export const ATTR_AUDIT_REDACTION_TYPES = 'slm_audit.redaction.types';
/** Number of redacted spans of text. */
export const ATTR_AUDIT_REDACTION_COUNT = 'slm_audit.redaction.count';

// Confidence.
export const ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB = 'slm_audit.confidence.mean_logprob';
export const ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB = 'slm_audit.confidence.min_logprob';
export const ATTR_AUDIT_CONFIDENCE_PERPLEXITY = 'slm_audit.confidence.perplexity';
/** A score in [0, 1]: exp(mean logprob) when computed, or the caller's own. */
export const ATTR_AUDIT_CONFIDENCE_SCORE = 'slm_audit.confidence.score';
/** Where confidence came from: `logprobs` | `rescored` | `caller`. */
export const ATTR_AUDIT_CONFIDENCE_SOURCE = 'slm_audit.confidence.source';
/** How many token logprobs the statistics cover. */
export const ATTR_AUDIT_CONFIDENCE_TOKENS = 'slm_audit.confidence.tokens';

// Reasoning (chain-of-thought) markers.
export const ATTR_AUDIT_REASONING_PRESENT = 'slm_audit.reasoning.present';
export const ATTR_AUDIT_REASONING_TOKENS = 'slm_audit.reasoning.tokens';
/** Character offset (UTF-16) in the output where reasoning starts. */
export const ATTR_AUDIT_REASONING_START = 'slm_audit.reasoning.start';
/** Character offset (UTF-16, exclusive) in the output where reasoning ends. */
export const ATTR_AUDIT_REASONING_END = 'slm_audit.reasoning.end';
export const ATTR_AUDIT_REASONING_HASH = 'slm_audit.reasoning.hash';

// Model identity.
export const ATTR_AUDIT_MODEL_VERSION = 'slm_audit.model.version';
/** SHA-256 of the model file, or the registry digest (e.g. Ollama's). */
export const ATTR_AUDIT_MODEL_DIGEST = 'slm_audit.model.digest';
export const ATTR_AUDIT_MODEL_QUANTIZATION = 'slm_audit.model.quantization';
export const ATTR_AUDIT_MODEL_CONTEXT_SIZE = 'slm_audit.model.context_size';
export const ATTR_AUDIT_MODEL_FAMILY = 'slm_audit.model.family';
export const ATTR_AUDIT_MODEL_PARAMETER_SIZE = 'slm_audit.model.parameter_size';

// Latency beyond span duration.
/** Seconds from request to first output token, streamed or not. */
export const ATTR_AUDIT_TIME_TO_FIRST_TOKEN = 'slm_audit.response.time_to_first_token';
export const ATTR_AUDIT_TOKENS_PER_SECOND = 'slm_audit.response.tokens_per_second';

// Errors.
/** The provider's own error code (e.g. "rate_limit_exceeded", an HTTP status). */
export const ATTR_AUDIT_ERROR_CODE = 'slm_audit.error.code';

/** SDK diagnostics about the record itself (string[]), e.g. ["model_missing","input_truncated"]. */
export const ATTR_AUDIT_DIAGNOSTICS = 'slm_audit.diagnostics';

// Integrity (filled by the hash chain; a later version of the SDK).
export const ATTR_AUDIT_CHAIN_ID = 'slm_audit.chain.id';
export const ATTR_AUDIT_CHAIN_SEQ = 'slm_audit.chain.seq';
export const ATTR_AUDIT_RECORD_PREV_HASH = 'slm_audit.record.prev_hash';
export const ATTR_AUDIT_RECORD_HASH = 'slm_audit.record.hash';

/** Content policies, weakest to strongest disclosure. */
export const CONTENT_POLICIES = ['none', 'hash', 'redacted', 'full'] as const;
export type ContentPolicyName = (typeof CONTENT_POLICIES)[number];

/** Values of `slm_audit.diagnostics`. */
export const AUDIT_DIAGNOSTICS = {
  MODEL_MISSING: 'model_missing',
  INPUT_TRUNCATED: 'input_truncated',
  OUTPUT_TRUNCATED: 'output_truncated',
  NON_SERIALISABLE_CONTENT: 'non_serialisable_content',
  INVALID_UTF8: 'invalid_utf8',
  INSTRUMENTATION_ERROR: 'instrumentation_error',
} as const;

/** Instrumentation scope name of spans made by the SDK. */
export const AUDIT_SCOPE_NAME = '@slm-audit/sdk';

/** Environment variable holding the HMAC key for content hashes (UTF-8 text). */
export const ENV_AUDIT_HASH_KEY = 'SLM_AUDIT_HASH_KEY';
/** Environment variable naming that key (recorded as slm_audit.hash.key_id). */
export const ENV_AUDIT_HASH_KEY_ID = 'SLM_AUDIT_HASH_KEY_ID';
