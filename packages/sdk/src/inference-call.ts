/*
 * One traced inference: the span, what the caller reported through the Inference
 * handle, and the record built when the call settles. Every method that does
 * instrumentation work catches its own failures: the SDK must never break the call.
 */
import { randomUUID } from 'node:crypto';
import {
  context,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import {
  ATTR_AUDIT_CONTENT_INPUT_POLICY,
  ATTR_AUDIT_CONTENT_OUTPUT_POLICY,
  ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY,
  ATTR_AUDIT_DIAGNOSTICS,
  ATTR_AUDIT_ERROR_CODE,
  ATTR_AUDIT_FEATURE,
  ATTR_AUDIT_PROMPT_TEMPLATE_ID,
  ATTR_AUDIT_PROMPT_TEMPLATE_VERSION,
  ATTR_AUDIT_REASONING_END,
  ATTR_AUDIT_REASONING_HASH,
  ATTR_AUDIT_REASONING_PRESENT,
  ATTR_AUDIT_REASONING_START,
  ATTR_AUDIT_REASONING_TOKENS,
  ATTR_AUDIT_RECORD_ID,
  ATTR_AUDIT_TENANT_ID,
  ATTR_AUDIT_TIME_TO_FIRST_TOKEN,
  ATTR_AUDIT_TOKENS_PER_SECOND,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SESSION_ID,
  ATTR_USER_ID,
  AUDIT_DIAGNOSTICS,
  GEN_AI_OPERATION_NAME_VALUES,
} from '@slm-audit/semconv';
import type {
  AuditConfig,
  AuditRecord,
  Confidence,
  Inference,
  InferenceRequest,
  InferenceResponse,
  ModelIdentity,
} from './types.js';
import type { PipelineRun, ResolvedConfig } from './internal-types.js';
import { getAuditContext } from './audit-context.js';
import { resolveConfig } from './config.js';
import { writeConfidenceAttributes } from './confidence.js';
import { createField, createRun, writeFieldAttributes, writeRunAttributes } from './content/pipeline.js';
import { inputMessages, outputMessages, systemInstructionParts } from './content/messages.js';
import { toText } from './content/normalise.js';
import { addDiagnostic } from './diagnostics.js';
import { logger, warnOnce } from './diag.js';
import { errorMessage, errorType } from './error-type.js';
import { findReasoning } from './reasoning.js';
import {
  isFiniteNumber,
  isNonEmptyString,
  stringList,
  writeModelIdentity,
  writeRequestParameters,
} from './request-attributes.js';
import { getTracer } from './tracer.js';

/** What the caller reported, merged over setResponse calls: the public shape, field by field. */
type ResponseState = InferenceResponse;

function mergeDefined<T extends object>(base: T | undefined, over: T | undefined): T | undefined {
  if (over === undefined || over === null || typeof over !== 'object') return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over)) if (value !== undefined) out[key] = value;
  return out as T;
}

function tokenCount(value: unknown): number | undefined {
  return isFiniteNumber(value) && value >= 0 ? value : undefined;
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** The handle given to `fn`; a thin view so `fn` cannot reach the call's internals. */
class InferenceHandle implements Inference {
  constructor(
    readonly span: Span,
    private readonly call: InferenceCall,
  ) {}

  setResponse(response: InferenceResponse): void {
    this.call.setResponse(response);
  }

  firstToken(at?: number): void {
    this.call.firstToken(at);
  }

  setConfidence(confidence: Confidence): void {
    this.call.setConfidence(confidence);
  }

  setErrorCode(code: string | number): void {
    this.call.setErrorCode(code);
  }
}

/** Handed to `fn` when the SDK could not even start a span. */
export const NOOP_INFERENCE: Inference = Object.freeze({
  span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
  setResponse() {},
  firstToken() {},
  setConfidence() {},
  setErrorCode() {},
});

export class InferenceCall {
  readonly handle: Inference;
  /** The caller's context with the inference span active: `fn` runs in it. */
  readonly context: Context;
  private ended = false;
  private response: ResponseState | undefined;
  private confidence: Confidence | undefined;
  private errorCode: string | undefined;
  private firstTokenAt: number | undefined;
  private requestModelIdentity: ModelIdentity | undefined;
  /** Attributes set when the span ends (the start ones went to startSpan). */
  private readonly endAttrs: Attributes = {};
  private readonly diagnostics: string[];
  private readonly run: PipelineRun;

  private constructor(
    readonly span: Span,
    parent: Context,
    private readonly resolved: ResolvedConfig,
    private readonly recordId: string,
    private readonly startedAt: number,
    private readonly startAttrs: Attributes,
    /** The attribute names the SDK itself set at start (extras may not replace them). */
    private readonly ownStartAttrs: Attributes,
    private readonly stream: boolean,
    diagnostics: string[],
  ) {
    this.handle = new InferenceHandle(span, this);
    this.context = trace.setSpan(parent, span);
    this.diagnostics = diagnostics;
    this.run = createRun(resolved.content, diagnostics);
  }

  static start(request: InferenceRequest, config: AuditConfig | undefined): InferenceCall {
    const startedAt = performance.now();
    const resolved = resolveConfig(config);
    const req: InferenceRequest = request !== null && typeof request === 'object' ? request : ({} as InferenceRequest);
    const diagnostics: string[] = [];
    const parent = context.active();
    const audit = getAuditContext(parent);

    const own: Attributes = {};
    const operation = isNonEmptyString(req.operation) ? req.operation : GEN_AI_OPERATION_NAME_VALUES.CHAT;
    let model = req.model;
    if (!isNonEmptyString(model)) {
      model = 'unknown';
      addDiagnostic(diagnostics, AUDIT_DIAGNOSTICS.MODEL_MISSING);
      warnOnce('model_missing', 'traceInference: request.model is missing; recorded as "unknown"');
    }
    own[ATTR_GEN_AI_OPERATION_NAME] = operation;
    own[ATTR_GEN_AI_REQUEST_MODEL] = model;
    if (isNonEmptyString(req.provider)) own[ATTR_GEN_AI_PROVIDER_NAME] = req.provider;
    writeRequestParameters(req.parameters, own);
    if (req.server !== undefined && req.server !== null) {
      if (isNonEmptyString(req.server.address)) own[ATTR_SERVER_ADDRESS] = req.server.address;
      if (isFiniteNumber(req.server.port)) own[ATTR_SERVER_PORT] = req.server.port;
    }
    const conversationId = isNonEmptyString(req.conversationId) ? req.conversationId : audit?.conversationId;
    if (isNonEmptyString(conversationId)) own[ATTR_GEN_AI_CONVERSATION_ID] = conversationId;
    if (audit !== undefined) {
      if (isNonEmptyString(audit.tenantId)) own[ATTR_AUDIT_TENANT_ID] = audit.tenantId;
      if (isNonEmptyString(audit.feature)) own[ATTR_AUDIT_FEATURE] = audit.feature;
      if (isNonEmptyString(audit.userId)) own[ATTR_USER_ID] = audit.userId;
      if (isNonEmptyString(audit.sessionId)) own[ATTR_SESSION_ID] = audit.sessionId;
    }
    if (req.template !== undefined && req.template !== null) {
      if (isNonEmptyString(req.template.id)) own[ATTR_AUDIT_PROMPT_TEMPLATE_ID] = req.template.id;
      if (isNonEmptyString(req.template.version)) own[ATTR_AUDIT_PROMPT_TEMPLATE_VERSION] = req.template.version;
    }
    const recordId = randomUUID();
    own[ATTR_AUDIT_RECORD_ID] = recordId;
    const { policies } = resolved.content;
    own[ATTR_AUDIT_CONTENT_INPUT_POLICY] = policies.input;
    own[ATTR_AUDIT_CONTENT_OUTPUT_POLICY] = policies.output;
    if (req.systemInstructions !== undefined) own[ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY] = policies.systemInstructions;

    // Extras go first so the SDK's own attributes win over them.
    let startAttrs = own;
    if (audit?.attributes !== undefined || req.attributes !== undefined) {
      startAttrs = { ...audit?.attributes, ...req.attributes, ...own };
    }

    const span = getTracer(resolved.tracerProvider).startSpan(
      `${operation} ${model}`,
      { kind: req.inProcess === true ? SpanKind.INTERNAL : SpanKind.CLIENT, attributes: startAttrs },
      parent,
    );
    const call = new InferenceCall(
      span,
      parent,
      resolved,
      recordId,
      startedAt,
      startAttrs,
      own,
      req.parameters?.stream === true,
      diagnostics,
    );
    call.requestModelIdentity = req.modelIdentity;
    // Snapshot the input now: the caller may change its message list while fn runs.
    if (span.isRecording()) call.captureInput(req);
    return call;
  }

  setResponse(response: InferenceResponse): void {
    if (this.ended) return;
    if (response === null || typeof response !== 'object') return;
    const state = (this.response ??= {});
    if (response.id !== undefined) state.id = response.id;
    if (response.model !== undefined) state.model = response.model;
    if (response.finishReasons !== undefined) state.finishReasons = response.finishReasons;
    if (response.output !== undefined) state.output = response.output;
    if (response.reasoning !== undefined) state.reasoning = response.reasoning;
    if (response.confidence !== undefined) state.confidence = response.confidence;
    state.usage = mergeDefined(state.usage, response.usage);
    state.modelIdentity = mergeDefined(state.modelIdentity, response.modelIdentity);
    state.attributes = mergeDefined(state.attributes, response.attributes);
  }

  firstToken(at?: number): void {
    if (this.ended || this.firstTokenAt !== undefined) return;
    this.firstTokenAt = isFiniteNumber(at) ? at : performance.now();
  }

  setConfidence(confidence: Confidence): void {
    if (!this.ended) this.confidence = confidence;
  }

  setErrorCode(code: string | number): void {
    if (this.ended) return;
    if (typeof code === 'string' || (typeof code === 'number' && Number.isFinite(code))) this.errorCode = String(code);
  }

  /** Ends the span exactly once. Never throws. */
  end(error: unknown, failed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const endedAt = performance.now();
    try {
      if (failed) this.recordError(error);
      if (this.span.isRecording()) this.finishRecord(endedAt);
    } catch (err) {
      this.internalError('building the audit record', err);
      try {
        this.span.setAttribute(ATTR_AUDIT_DIAGNOSTICS, this.diagnostics);
      } catch {
        // Nothing more can be done for this record.
      }
    } finally {
      try {
        this.span.end();
      } catch (err) {
        logger.error('ending the inference span failed', err);
      }
    }
  }

  private internalError(what: string, err: unknown): void {
    addDiagnostic(this.diagnostics, AUDIT_DIAGNOSTICS.INSTRUMENTATION_ERROR);
    logger.error(`${what} failed; the inference itself is unaffected`, err);
  }

  private captureInput(req: InferenceRequest): void {
    try {
      const { content, pipeline } = this.resolved;
      const { policies } = content;
      if (policies.input !== 'none') {
        const messages = inputMessages(req, this.diagnostics);
        if (messages !== undefined) {
          const field = createField('input', policies.input, messages);
          pipeline.process(field, this.run);
          writeFieldAttributes(field, this.endAttrs);
        }
      }
      if (policies.systemInstructions !== 'none') {
        const parts = systemInstructionParts(req.systemInstructions, this.diagnostics);
        if (parts !== undefined) {
          const field = createField('system_instructions', policies.systemInstructions, parts);
          pipeline.process(field, this.run);
          writeFieldAttributes(field, this.endAttrs);
        }
      }
    } catch (err) {
      this.internalError('recording the input', err);
    }
  }

  private recordError(error: unknown): void {
    try {
      const type = errorType(error);
      const message = errorMessage(error);
      this.endAttrs[ATTR_ERROR_TYPE] = type;
      this.span.recordException(error instanceof Error ? error : { name: type, message });
      this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    } catch (err) {
      this.internalError('recording the error', err);
    }
  }

  private finishRecord(endedAt: number): void {
    const attrs = this.endAttrs;
    const r = this.response;

    if (isNonEmptyString(r?.id)) attrs[ATTR_GEN_AI_RESPONSE_ID] = r.id;
    if (isNonEmptyString(r?.model)) attrs[ATTR_GEN_AI_RESPONSE_MODEL] = r.model;
    const finishReasons = stringList(r?.finishReasons);
    if (finishReasons !== undefined) attrs[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = finishReasons;

    const usage = r?.usage;
    const inputTokens = tokenCount(usage?.inputTokens);
    const outputTokens = tokenCount(usage?.outputTokens);
    const reasoningTokens = tokenCount(usage?.reasoningTokens);
    const cacheRead = tokenCount(usage?.cacheReadInputTokens);
    if (inputTokens !== undefined) attrs[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = inputTokens;
    if (outputTokens !== undefined) attrs[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = outputTokens;
    if (cacheRead !== undefined) attrs[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cacheRead;
    if (reasoningTokens !== undefined) {
      attrs[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoningTokens;
      attrs[ATTR_AUDIT_REASONING_TOKENS] = reasoningTokens;
    }

    writeModelIdentity(this.requestModelIdentity, r?.modelIdentity, attrs);

    const confidence = this.confidence ?? r?.confidence;
    if (confidence !== undefined) writeConfidenceAttributes(confidence, attrs);

    this.writeOutput(r, finishReasons?.[0], reasoningTokens);
    this.writeTiming(endedAt, outputTokens);
    if (this.errorCode !== undefined) attrs[ATTR_AUDIT_ERROR_CODE] = this.errorCode;

    writeRunAttributes(this.run, attrs);

    if (r?.attributes !== undefined) {
      // Response extras may add attributes, never replace what the SDK recorded.
      for (const [key, value] of Object.entries(r.attributes)) {
        if (value !== undefined && !(key in attrs) && !(key in this.ownStartAttrs)) attrs[key] = value;
      }
    }
    if (this.diagnostics.length > 0) attrs[ATTR_AUDIT_DIAGNOSTICS] = this.diagnostics;

    this.span.setAttributes(attrs);
    if (this.resolved.sealers.length > 0) this.seal();
  }

  private writeOutput(r: ResponseState | undefined, finishReason: string | undefined, reasoningTokens: number | undefined): void {
    const attrs = this.endAttrs;
    const policy = this.resolved.content.policies.output;
    const text = r?.output !== undefined ? toText(r.output, this.diagnostics) : undefined;
    const reasoning = r?.reasoning !== undefined ? toText(r.reasoning, this.diagnostics) : undefined;
    const hasher = this.resolved.content.hasher;

    let reasoningText: string | undefined;
    if (reasoning !== undefined) {
      attrs[ATTR_AUDIT_REASONING_PRESENT] = true;
      reasoningText = reasoning;
    } else if (text !== undefined) {
      const block = findReasoning(text);
      if (block !== undefined) {
        attrs[ATTR_AUDIT_REASONING_PRESENT] = true;
        attrs[ATTR_AUDIT_REASONING_START] = block.start;
        attrs[ATTR_AUDIT_REASONING_END] = block.end;
        reasoningText = block.content;
      } else {
        // Reasoning tokens without visible reasoning: the server stripped the block.
        attrs[ATTR_AUDIT_REASONING_PRESENT] = reasoningTokens !== undefined && reasoningTokens > 0;
      }
    }
    if (reasoningText !== undefined && policy !== 'none') {
      attrs[ATTR_AUDIT_REASONING_HASH] = hasher.hash(reasoningText);
      this.run.hashed = true;
    }

    if (policy === 'none' || (text === undefined && reasoning === undefined)) return;
    const field = createField('output', policy, outputMessages(text, reasoning, finishReason), text);
    this.resolved.pipeline.process(field, this.run);
    writeFieldAttributes(field, attrs);
  }

  private writeTiming(endedAt: number, outputTokens: number | undefined): void {
    const attrs = this.endAttrs;
    let generationStart = this.startedAt;
    if (this.firstTokenAt !== undefined && this.firstTokenAt >= this.startedAt) {
      const ttft = (this.firstTokenAt - this.startedAt) / 1000;
      attrs[ATTR_AUDIT_TIME_TO_FIRST_TOKEN] = ttft;
      if (this.stream) attrs[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttft;
      if (endedAt > this.firstTokenAt) generationStart = this.firstTokenAt;
    }
    const seconds = (endedAt - generationStart) / 1000;
    if (outputTokens !== undefined && outputTokens > 0 && seconds > 0) {
      attrs[ATTR_AUDIT_TOKENS_PER_SECOND] = outputTokens / seconds;
    }
  }

  /** Hands the finished record to each sealer and sets what they return. */
  private seal(): void {
    const all: Attributes = { ...this.startAttrs, ...this.endAttrs };
    const record: AuditRecord = { recordId: this.recordId, span: this.span, attributes: all };
    const diagnosticsBefore = this.diagnostics.length;
    for (const sealer of this.resolved.sealers) {
      try {
        const extra = sealer.seal(record);
        if (extra === undefined || extra === null) continue;
        if (typeof extra !== 'object' || isThenable(extra)) {
          warnOnce('sealer_result', 'a RecordSealer returned something other than attributes (sealers are synchronous); ignored');
          continue;
        }
        this.span.setAttributes(extra);
        Object.assign(all, extra);
      } catch (err) {
        this.internalError('a RecordSealer', err);
      }
    }
    if (this.diagnostics.length !== diagnosticsBefore) this.span.setAttribute(ATTR_AUDIT_DIAGNOSTICS, this.diagnostics);
  }
}
