/*
 * Shared test fixtures. chDB allows one data directory per process, so every test
 * uses the same directory and isolates itself with its own database.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace, SpanKind, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as A from '@slm-audit/semconv';

/** The one data directory this test process uses. */
export const ENGINE_PATH = join(tmpdir(), `slm-audit-exporter-test-${process.pid}`);
process.once('exit', () => {
  try {
    rmSync(ENGINE_PATH, { recursive: true, force: true });
  } catch {
    // Best effort: the directory is in the system temp area anyway.
  }
});

/** A database name nobody else in this run uses. */
export function uniqueDatabase(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export const RESOURCE_ATTRIBUTES: Attributes = {
  [A.ATTR_SERVICE_NAME]: 'support-bot',
  [A.ATTR_SERVICE_VERSION]: '2.3.4',
  [A.ATTR_HOST_NAME]: 'host-7',
  'deployment.environment.name': 'test',
  'process.pid': 4242,
};

export const SCOPE = { name: A.AUDIT_SCOPE_NAME, version: '0.1.0' };

/** Every attribute an inference span can carry, with values that exercise escaping and types. */
export const INFERENCE_ATTRIBUTES: Attributes = {
  [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [A.ATTR_GEN_AI_PROVIDER_NAME]: 'llama.cpp',
  [A.ATTR_GEN_AI_CONVERSATION_ID]: 'conv-42',
  [A.ATTR_GEN_AI_OUTPUT_TYPE]: 'text',
  [A.ATTR_GEN_AI_REQUEST_MODEL]: 'qwen2.5-0.5b-instruct',
  [A.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.7,
  [A.ATTR_GEN_AI_REQUEST_TOP_P]: 0.95,
  [A.ATTR_GEN_AI_REQUEST_TOP_K]: 40,
  [A.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 256,
  [A.ATTR_GEN_AI_REQUEST_SEED]: -7,
  [A.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: ['\n\n', 'END', '"quoted"'],
  [A.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: 0.1,
  [A.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: -0.25,
  [A.ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: 1,
  [A.ATTR_GEN_AI_REQUEST_STREAM]: true,
  [A.ATTR_GEN_AI_RESPONSE_ID]: 'resp-9f2c',
  [A.ATTR_GEN_AI_RESPONSE_MODEL]: 'qwen2.5-0.5b-instruct-q4_k_m',
  [A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop', 'length'],
  [A.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: 0.0425,
  [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 123,
  [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 45,
  [A.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 12,
  [A.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 3,
  [A.ATTR_GEN_AI_INPUT_MESSAGES]: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Héllo "there"\n\tcafé ☕ 😀' }] }]),
  [A.ATTR_GEN_AI_OUTPUT_MESSAGES]: JSON.stringify([
    { role: 'assistant', parts: [{ type: 'text', content: 'Hi! <b>&</b> \\ back\u0001slash' }], finish_reason: 'stop' },
  ]),
  [A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]: JSON.stringify([{ type: 'text', content: 'Be brief.' }]),
  [A.ATTR_ERROR_TYPE]: 'TimeoutError',
  [A.ATTR_SERVER_ADDRESS]: 'localhost',
  [A.ATTR_SERVER_PORT]: 8080,
  [A.ATTR_USER_ID]: 'user-1',
  [A.ATTR_SESSION_ID]: 'session-1',
  [A.ATTR_AUDIT_RECORD_ID]: '6f1c2a43-9d7e-4b1a-8c3e-2f5d6a7b8c9d',
  [A.ATTR_AUDIT_TENANT_ID]: 'tenant-a',
  [A.ATTR_AUDIT_FEATURE]: 'support-reply',
  [A.ATTR_AUDIT_PROMPT_TEMPLATE_ID]: 'greeting',
  [A.ATTR_AUDIT_PROMPT_TEMPLATE_VERSION]: 'v3',
  [A.ATTR_AUDIT_CONTENT_INPUT_POLICY]: 'full',
  [A.ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: 'hash',
  [A.ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY]: 'redacted',
  [A.ATTR_AUDIT_INPUT_HASH]: 'a'.repeat(64),
  [A.ATTR_AUDIT_OUTPUT_HASH]: 'b'.repeat(64),
  [A.ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH]: 'c'.repeat(64),
  [A.ATTR_AUDIT_HASH_KEY_ID]: 'key-2026-01',
  [A.ATTR_AUDIT_INPUT_ORIGINAL_LENGTH]: 40_000,
  [A.ATTR_AUDIT_INPUT_TRUNCATED]: true,
  [A.ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH]: 5_000,
  [A.ATTR_AUDIT_OUTPUT_TRUNCATED]: false,
  [A.ATTR_AUDIT_REDACTION_TYPES]: ['email', 'payment_card'],
  [A.ATTR_AUDIT_REDACTION_COUNT]: 3,
  [A.ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB]: -0.2468,
  [A.ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB]: -3.5,
  [A.ATTR_AUDIT_CONFIDENCE_PERPLEXITY]: 1.2799,
  [A.ATTR_AUDIT_CONFIDENCE_SCORE]: 0.7813,
  [A.ATTR_AUDIT_CONFIDENCE_SOURCE]: 'logprobs',
  [A.ATTR_AUDIT_CONFIDENCE_TOKENS]: 45,
  [A.ATTR_AUDIT_REASONING_PRESENT]: true,
  [A.ATTR_AUDIT_REASONING_TOKENS]: 12,
  [A.ATTR_AUDIT_REASONING_START]: 0,
  [A.ATTR_AUDIT_REASONING_END]: 118,
  [A.ATTR_AUDIT_REASONING_HASH]: 'd'.repeat(64),
  [A.ATTR_AUDIT_MODEL_VERSION]: '2.5',
  [A.ATTR_AUDIT_MODEL_DIGEST]: `sha256:${'e'.repeat(64)}`,
  [A.ATTR_AUDIT_MODEL_QUANTIZATION]: 'Q4_K_M',
  [A.ATTR_AUDIT_MODEL_CONTEXT_SIZE]: 32_768,
  [A.ATTR_AUDIT_MODEL_FAMILY]: 'qwen2',
  [A.ATTR_AUDIT_MODEL_PARAMETER_SIZE]: '0.5B',
  [A.ATTR_AUDIT_TIME_TO_FIRST_TOKEN]: 0.0612,
  [A.ATTR_AUDIT_TOKENS_PER_SECOND]: 33.25,
  [A.ATTR_AUDIT_ERROR_CODE]: 'rate_limit_exceeded',
  [A.ATTR_AUDIT_DIAGNOSTICS]: ['input_truncated', 'model_missing'],
  [A.ATTR_AUDIT_CHAIN_ID]: 'chain-1',
  [A.ATTR_AUDIT_CHAIN_SEQ]: 7,
  [A.ATTR_AUDIT_RECORD_PREV_HASH]: 'f'.repeat(64),
  [A.ATTR_AUDIT_RECORD_HASH]: '0'.repeat(64),
};

/** Attributes without a typed column: they must land in span_attributes. */
export const EXTRA_ATTRIBUTES: Attributes = {
  'app.request_id': "r-1'; DROP TABLE otel_traces; --",
  'app.numbers': [1, 2.5, -3],
  'app.flag': false,
};

export const PARENT = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceState: 'vendor=abc,other=1',
};
export const LINK = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceState: 'l=1' };

export const START: HrTime = [1767323045, 123456789];
export const END: HrTime = [1767323047, 5];
export const EVENT_TIME: HrTime = [1767323046, 999999999];

export interface SpanSet {
  /** The inference span with every attribute, a parent, a link and an event. */
  full: ReadableSpan;
  /** An inference span with only gen_ai.operation.name: every other column at its default. */
  minimal: ReadableSpan;
  /** An inference span whose typed attributes have the wrong types. */
  misfit: ReadableSpan;
  /** A span without gen_ai.operation.name. */
  plain: ReadableSpan;
  all: ReadableSpan[];
}

/** Finished spans made by the real SDK. */
export function makeSpans(): SpanSet {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(RESOURCE_ATTRIBUTES),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer(SCOPE.name, SCOPE.version);
  const parent = trace.setSpanContext(context.active(), {
    traceId: PARENT.traceId,
    spanId: PARENT.spanId,
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState(PARENT.traceState),
  });

  const full = tracer.startSpan(
    'chat qwen2.5-0.5b-instruct',
    {
      kind: SpanKind.CLIENT,
      startTime: START,
      attributes: { ...INFERENCE_ATTRIBUTES, ...EXTRA_ATTRIBUTES },
      links: [
        {
          context: { traceId: LINK.traceId, spanId: LINK.spanId, traceFlags: 1, traceState: new TraceState(LINK.traceState) },
          attributes: { 'link.reason': 'retry', 'link.n': 2 },
        },
      ],
    },
    parent,
  );
  full.addEvent('gen_ai.first_token', { 'event.index': 0, 'event.note': 'ok "q"' }, EVENT_TIME);
  full.addEvent('exception', { 'exception.message': 'boom' }, END);
  full.setStatus({ code: SpanStatusCode.ERROR, message: 'model "timed" out' });
  full.end(END);

  const minimal = tracer.startSpan('embeddings', {
    kind: SpanKind.INTERNAL,
    startTime: [1767323100, 0],
    attributes: { [A.ATTR_GEN_AI_OPERATION_NAME]: 'embeddings' },
  });
  minimal.setStatus({ code: SpanStatusCode.OK });
  minimal.end([1767323100, 1]);

  const misfit = tracer.startSpan('chat misfit', {
    startTime: [1767323200, 500],
    attributes: {
      [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [A.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 'hot',
      [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: -1,
      [A.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 2.5,
      [A.ATTR_SERVER_PORT]: 70_000,
      [A.ATTR_AUDIT_RECORD_ID]: 'not-a-uuid',
      [A.ATTR_AUDIT_INPUT_TRUNCATED]: 'yes',
      [A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: 'stop',
      [A.ATTR_AUDIT_ERROR_CODE]: 429,
    },
  });
  misfit.end([1767323200, 400]);

  const plain = tracer.startSpan('GET /health', { kind: SpanKind.SERVER, startTime: [1767323300, 1], attributes: { 'http.route': '/health' } });
  plain.end([1767323300, 2]);

  const [f, m, x, p] = memory.getFinishedSpans();
  return { full: f!, minimal: m!, misfit: x!, plain: p!, all: [f!, m!, x!, p!] };
}

/** Nanoseconds since the epoch as a decimal string. */
export function nanos(t: HrTime): string {
  return (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
}

/** Calls exporter.export and resolves with its result. */
export function exportSpans(
  exporter: { export(spans: ReadableSpan[], cb: (r: { code: number; error?: Error }) => void): void },
  spans: ReadableSpan[],
): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}
