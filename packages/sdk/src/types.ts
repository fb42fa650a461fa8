/*
 * Public shapes of @slm-audit/sdk. Internal shapes live in internal-types.ts.
 */
import type { Attributes, Span, TracerProvider } from '@opentelemetry/api';
import type { BufferConfig, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ContentPolicyName } from '@slm-audit/semconv';

export type ContentPolicy = ContentPolicyName;

/** A part of a message, as in the GenAI input/output message JSON schemas. */
export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id?: string; result?: unknown }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | string;
  /** Plain text, or parts as in the convention's message schema. */
  content: string | MessagePart[];
  name?: string;
}

/** Sampling and limits the caller asked for (gen_ai.request.*). */
export interface RequestParameters {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  seed?: number;
  stopSequences?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
  choiceCount?: number;
  stream?: boolean;
}

/** What identifies the exact model that answered (slm_audit.model.*). */
export interface ModelIdentity {
  version?: string;
  /** SHA-256 of the weights file, or a registry digest such as Ollama's. */
  digest?: string;
  quantization?: string;
  contextSize?: number;
  family?: string;
  parameterSize?: string;
}

export interface InferenceRequest {
  /** gen_ai.operation.name; default `chat`. */
  operation?: 'chat' | 'text_completion' | 'generate_content' | 'embeddings' | (string & {});
  /** gen_ai.provider.name, e.g. `llama.cpp`, `ollama`, `openai`, `vllm`. */
  provider: string;
  /** gen_ai.request.model. A missing model is recorded as `unknown` with a diagnostic. */
  model: string;
  /** The model runs in this process (span kind INTERNAL instead of CLIENT). */
  inProcess?: boolean;
  server?: { address: string; port?: number };
  parameters?: RequestParameters;
  /** Chat history sent to the model. */
  messages?: ChatMessage[];
  /**
   * A bare prompt (text completion); recorded as one user message (after `messages`
   * when both are given). Raw UTF-8 bytes are accepted; invalid sequences become U+FFFD.
   */
  prompt?: string | Uint8Array;
  /** System instructions given apart from the history. */
  systemInstructions?: string | string[];
  template?: { id: string; version?: string };
  modelIdentity?: ModelIdentity;
  /** Overrides the audit context's conversation id for this call. */
  conversationId?: string;
  /** Extra span attributes, set as given. */
  attributes?: Attributes;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
  cacheReadInputTokens?: number;
}

/**
 * Confidence: either per-token logprobs (natural log) from which the SDK computes
 * mean, min, perplexity and score = exp(mean), or statistics / a score the caller has.
 */
export type Confidence =
  | { tokenLogprobs: ArrayLike<number>; source?: 'logprobs' | 'rescored' }
  | { meanLogprob?: number; minLogprob?: number; perplexity?: number; score?: number; tokens?: number; source?: 'logprobs' | 'rescored' | 'caller' };

export interface InferenceResponse {
  id?: string;
  model?: string;
  finishReasons?: string[];
  /**
   * The output text (reasoning in `<think>…</think>` is found and marked). Raw UTF-8
   * bytes are accepted; invalid sequences become U+FFFD.
   */
  output?: string | Uint8Array;
  /** Reasoning returned apart from the output (e.g. `reasoning_content`). */
  reasoning?: string | Uint8Array;
  usage?: Usage;
  confidence?: Confidence;
  /** Model identity learned from the response. */
  modelIdentity?: ModelIdentity;
  attributes?: Attributes;
}

/** The handle `fn` receives inside `traceInference`. */
export interface Inference {
  readonly span: Span;
  /** Merge what the model returned; may be called more than once. */
  setResponse(response: InferenceResponse): void;
  /** Mark the first output token (or chunk) now, or at a `performance.now()` time. */
  firstToken(at?: number): void;
  setConfidence(confidence: Confidence): void;
  /** Provider error code (slm_audit.error.code) for a failure `fn` will throw. */
  setErrorCode(code: string | number): void;
}

/** A detector finds one kind of sensitive text. */
export interface Detector {
  /** Short stable name, recorded in slm_audit.redaction.types (e.g. `email`). */
  readonly name: string;
  /**
   * Regex whose matches are candidates (the redactor adds the `g` flag if missing).
   * When it has a named group `secret`, only that group is replaced (so
   * `Bearer abc…` keeps the word `Bearer`).
   */
  readonly pattern: RegExp;
  /** Extra check on a candidate (e.g. Luhn), given the text that would be replaced; false rejects it. */
  validate?(match: string): boolean;
  /** Cheap test on the whole text (e.g. contains '@'); false skips the pattern. */
  precheck?(text: string): boolean;
  /** Replacement text; default `[REDACTED:<name>]`. */
  replacement?: string;
}

export interface RedactionResult {
  text: string;
  /** Detector names that matched, in first-seen order, no repeats. */
  types: string[];
  count: number;
}

/** Pluggable redactor: anything that turns text into redacted text. */
export interface Redactor {
  redact(text: string): RedactionResult;
}

export interface ContentOptions {
  /** Policy for every field unless overridden. Default `hash`; see env below. */
  policy?: ContentPolicy;
  input?: ContentPolicy;
  output?: ContentPolicy;
  systemInstructions?: ContentPolicy;
  /** Redactor used by the `redacted` policy and to report what content held. Default: built-in detectors. `false` turns it off. */
  redactor?: Redactor | false;
  /** HMAC-SHA256 key for content hashes; default from SLM_AUDIT_HASH_KEY. */
  hashKey?: string | Uint8Array;
  /**
   * Recorded with every hash so keys can rotate; default SLM_AUDIT_HASH_KEY_ID, else
   * `default`, or `builtin` when no key is configured and the built-in key is used.
   */
  hashKeyId?: string;
  /** Longest content (UTF-16 code units) kept per field; longer is truncated and flagged. Default 32768. */
  maxContentLength?: number;
}

/** What the record looks like just before its span ends; sealers may add attributes. */
export interface AuditRecord {
  readonly recordId: string;
  readonly span: Span;
  /** Every attribute the SDK set on the span. */
  readonly attributes: Readonly<Attributes>;
}

/** Seam for the hash chain and similar: runs on every record before the span ends. */
export interface RecordSealer {
  seal(record: AuditRecord): Attributes | void;
}

export interface AuditConfig {
  content?: ContentOptions;
  sealers?: RecordSealer[];
  /** TracerProvider to use; default the global one. */
  tracerProvider?: TracerProvider;
}

/** Who and what the calls in scope are for; inherited by every nested call. */
export interface AuditContext {
  userId?: string;
  sessionId?: string;
  conversationId?: string;
  tenantId?: string;
  feature?: string;
  /** Extra attributes put on every inference span in scope. */
  attributes?: Attributes;
}

/** Where `startAudit` sends spans in ClickHouse (see @slm-audit/exporter-clickhouse). */
export interface ClickHouseOptions {
  /** Directory of an embedded (chDB) store; default `.slm-audit` when no `url` is given. */
  path?: string;
  /** URL of a ClickHouse server (HTTP interface). */
  url?: string;
  username?: string;
  password?: string;
  database?: string;
  /** Create the tables if they do not exist. */
  createSchema?: boolean;
  /** A ready exporter; when given nothing is loaded and the options above are ignored. */
  exporter?: SpanExporter;
}

export interface OtlpOptions {
  /** Traces endpoint; a bare origin (`http://host:4318`) gets `/v1/traces` appended. */
  url?: string;
  headers?: Record<string, string>;
  /** Default: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else `http/protobuf`. */
  protocol?: 'http/json' | 'http/protobuf';
}

export interface StartAuditOptions {
  /** service.name of the resource (default OTEL_SERVICE_NAME, then the SDK's default). */
  serviceName?: string;
  /** Process-wide content defaults (as `configureAudit`). */
  content?: ContentOptions;
  /** Process-wide sealers (as `configureAudit`). */
  sealers?: RecordSealer[];
  /** Export to ClickHouse (the optional package, loaded only then); `true` means an embedded store in `.slm-audit`. */
  clickhouse?: boolean | ClickHouseOptions;
  /** Export with OTLP; default on when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set. */
  otlp?: boolean | OtlpOptions;
  /** Extra processors, added after the exporters' batch processors. */
  spanProcessors?: SpanProcessor[];
  /** Batch settings for the ClickHouse and OTLP processors. */
  batch?: BufferConfig;
}

/** What `startAudit` returns. */
export interface AuditHandle {
  /** The provider audit spans go to (also the global one unless another was registered first). */
  readonly tracerProvider: TracerProvider;
  /** Export everything the audit processors hold. */
  forceFlush(): Promise<void>;
  /** Flush, then stop the processors and exporters; audit spans go back to the global provider. */
  shutdown(): Promise<void>;
}
