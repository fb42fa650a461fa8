import { expect } from 'chai';
import { SpanKind, SpanStatusCode, trace, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as semconv from '@slm-audit/semconv';
import {
  ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB,
  ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB,
  ATTR_AUDIT_CONFIDENCE_PERPLEXITY,
  ATTR_AUDIT_CONFIDENCE_SCORE,
  ATTR_AUDIT_CONFIDENCE_SOURCE,
  ATTR_AUDIT_CONFIDENCE_TOKENS,
  ATTR_AUDIT_DIAGNOSTICS,
  ATTR_AUDIT_ERROR_CODE,
  ATTR_AUDIT_INPUT_HASH,
  ATTR_AUDIT_OUTPUT_HASH,
  ATTR_AUDIT_REASONING_END,
  ATTR_AUDIT_REASONING_HASH,
  ATTR_AUDIT_REASONING_PRESENT,
  ATTR_AUDIT_REASONING_START,
  ATTR_AUDIT_REASONING_TOKENS,
  ATTR_AUDIT_RECORD_ID,
  ATTR_AUDIT_TIME_TO_FIRST_TOKEN,
  ATTR_AUDIT_TOKENS_PER_SECOND,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  AUDIT_DIAGNOSTICS,
  AUDIT_SCOPE_NAME,
  ERROR_TYPE_OTHER,
} from '@slm-audit/semconv';
import {
  canonicalContent,
  hashContent,
  traceInference,
  VERSION,
  withAuditContext,
  type Inference,
  type InferenceRequest,
  type RecordSealer,
  type Redactor,
} from '../src/index.js';
import { json, recorder, TEST_HASH_KEY, useContextManager, useDiag } from './support.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('traceInference', () => {
  useContextManager();
  const rec = recorder();
  const diagnostics = useDiag();
  beforeEach(() => rec.reset());

  describe('span shape', () => {
    it('names the span "{operation} {model}", kind CLIENT, scope @slm-audit/sdk', async () => {
      await traceInference({ provider: 'ollama', model: 'llama3.2:1b' }, () => 'ok', rec.config());
      const span = rec.only();
      expect(span.name).to.equal('chat llama3.2:1b');
      expect(span.kind).to.equal(SpanKind.CLIENT);
      expect(span.instrumentationScope.name).to.equal(AUDIT_SCOPE_NAME);
      expect(span.instrumentationScope.version).to.equal(VERSION);
      expect(span.attributes[ATTR_GEN_AI_OPERATION_NAME]).to.equal('chat');
    });

    it('uses kind INTERNAL for an in-process model and the operation given', async () => {
      await traceInference(
        { provider: 'llama.cpp', model: 'qwen2.5-0.5b', inProcess: true, operation: 'text_completion' },
        () => 'ok',
        rec.config(),
      );
      const span = rec.only();
      expect(span.kind).to.equal(SpanKind.INTERNAL);
      expect(span.name).to.equal('text_completion qwen2.5-0.5b');
      expect(span.attributes[ATTR_GEN_AI_OPERATION_NAME]).to.equal('text_completion');
    });

    it('makes the inference span the active span inside fn', async () => {
      let inner: string | undefined;
      await traceInference({ provider: 'ollama', model: 'm' }, async (inference) => {
        await sleep(1);
        inner = trace.getActiveSpan()?.spanContext().spanId;
        expect(inference.span.spanContext().spanId).to.equal(inner);
      }, rec.config());
      expect(inner).to.equal(rec.only().spanContext().spanId);
    });

    it('is a child of the span active at the call', async () => {
      const tracer = rec.provider.getTracer('test');
      await tracer.startActiveSpan('request', async (parent) => {
        await traceInference({ provider: 'ollama', model: 'm' }, () => 1, rec.config());
        parent.end();
      });
      const [child, parent] = rec.spans();
      expect(child!.parentSpanContext?.spanId).to.equal(parent!.spanContext().spanId);
      expect(child!.spanContext().traceId).to.equal(parent!.spanContext().traceId);
    });
  });

  describe('attributes', () => {
    const request: InferenceRequest = {
      provider: 'vllm',
      model: 'mistral-7b-instruct',
      server: { address: 'inference.internal', port: 8000 },
      parameters: {
        temperature: 0.2,
        topP: 0.95,
        topK: 40,
        maxTokens: 512,
        seed: 7,
        stopSequences: ['</s>', '\n\nUser:'],
        frequencyPenalty: 0.5,
        presencePenalty: 0.25,
        choiceCount: 1,
        stream: false,
      },
      prompt: 'Summarise the ticket.',
      template: { id: 'ticket-summary', version: '4.1' },
      conversationId: 'conv-9',
      modelIdentity: {
        version: '0.3',
        digest: 'sha256:abc123',
        quantization: 'Q4_K_M',
        contextSize: 8192,
        family: 'mistral',
        parameterSize: '7B',
      },
    };

    it('records every request attribute with the value given', async () => {
      await withAuditContext(
        { tenantId: 'acme', feature: 'support-reply', userId: 'u-17', sessionId: 's-3', conversationId: 'ignored' },
        () => traceInference(request, () => 'ok', rec.config()),
      );
      const a = rec.only().attributes;
      expect(a).to.include({
        [semconv.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
        [semconv.ATTR_GEN_AI_PROVIDER_NAME]: 'vllm',
        [semconv.ATTR_GEN_AI_REQUEST_MODEL]: 'mistral-7b-instruct',
        [semconv.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.2,
        [semconv.ATTR_GEN_AI_REQUEST_TOP_P]: 0.95,
        [semconv.ATTR_GEN_AI_REQUEST_TOP_K]: 40,
        [semconv.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 512,
        [semconv.ATTR_GEN_AI_REQUEST_SEED]: 7,
        [semconv.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: 0.5,
        [semconv.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: 0.25,
        [semconv.ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: 1,
        [semconv.ATTR_GEN_AI_REQUEST_STREAM]: false,
        [semconv.ATTR_SERVER_ADDRESS]: 'inference.internal',
        [semconv.ATTR_SERVER_PORT]: 8000,
        [semconv.ATTR_GEN_AI_CONVERSATION_ID]: 'conv-9',
        [semconv.ATTR_AUDIT_PROMPT_TEMPLATE_ID]: 'ticket-summary',
        [semconv.ATTR_AUDIT_PROMPT_TEMPLATE_VERSION]: '4.1',
        [semconv.ATTR_AUDIT_TENANT_ID]: 'acme',
        [semconv.ATTR_AUDIT_FEATURE]: 'support-reply',
        [semconv.ATTR_USER_ID]: 'u-17',
        [semconv.ATTR_SESSION_ID]: 's-3',
        [semconv.ATTR_AUDIT_MODEL_VERSION]: '0.3',
        [semconv.ATTR_AUDIT_MODEL_DIGEST]: 'sha256:abc123',
        [semconv.ATTR_AUDIT_MODEL_QUANTIZATION]: 'Q4_K_M',
        [semconv.ATTR_AUDIT_MODEL_CONTEXT_SIZE]: 8192,
        [semconv.ATTR_AUDIT_MODEL_FAMILY]: 'mistral',
        [semconv.ATTR_AUDIT_MODEL_PARAMETER_SIZE]: '7B',
        [semconv.ATTR_AUDIT_CONTENT_INPUT_POLICY]: 'hash',
        [semconv.ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: 'hash',
        [semconv.ATTR_AUDIT_HASH_KEY_ID]: 'default',
      });
      expect(a[semconv.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]).to.deep.equal(['</s>', '\n\nUser:']);
      expect(a[ATTR_AUDIT_RECORD_ID]).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(a[ATTR_AUDIT_INPUT_HASH]).to.equal(
        hashContent(canonicalContent([{ role: 'user', parts: [{ type: 'text', content: 'Summarise the ticket.' }] }]), {
          hashKey: TEST_HASH_KEY,
        }),
      );
      expect(a).not.to.have.property(ATTR_AUDIT_DIAGNOSTICS);
    });

    it('records every response attribute with the value given', async () => {
      await traceInference(
        request,
        (inference) => {
          inference.setResponse({ id: 'cmpl-1', model: 'mistral-7b-instruct-v0.3', finishReasons: ['stop', 'length'] });
          inference.setResponse({
            output: 'The customer wants a refund.',
            usage: { inputTokens: 120, outputTokens: 9, reasoningTokens: 0, cacheReadInputTokens: 64 },
            modelIdentity: { version: '0.3.1', quantization: 'Q8_0' },
          });
        },
        rec.config(),
      );
      const a = rec.only().attributes;
      expect(a).to.include({
        [semconv.ATTR_GEN_AI_RESPONSE_ID]: 'cmpl-1',
        [semconv.ATTR_GEN_AI_RESPONSE_MODEL]: 'mistral-7b-instruct-v0.3',
        [semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 120,
        [semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 9,
        [semconv.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 0,
        [semconv.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 64,
        [ATTR_AUDIT_REASONING_TOKENS]: 0,
        [ATTR_AUDIT_REASONING_PRESENT]: false,
        // The response's identity wins field by field over the request's.
        [semconv.ATTR_AUDIT_MODEL_VERSION]: '0.3.1',
        [semconv.ATTR_AUDIT_MODEL_QUANTIZATION]: 'Q8_0',
        [semconv.ATTR_AUDIT_MODEL_DIGEST]: 'sha256:abc123',
        [ATTR_AUDIT_OUTPUT_HASH]: hashContent('The customer wants a refund.', { hashKey: TEST_HASH_KEY }),
      });
      expect(a[semconv.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['stop', 'length']);
    });

    it('takes the conversation id from the audit context when the request has none', async () => {
      await withAuditContext({ conversationId: 'from-context' }, () =>
        traceInference({ provider: 'ollama', model: 'm' }, () => 'ok', rec.config()),
      );
      expect(rec.only().attributes[semconv.ATTR_GEN_AI_CONVERSATION_ID]).to.equal('from-context');
    });

    it('gives every call its own record id', async () => {
      for (let i = 0; i < 3; i++) await traceInference({ provider: 'p', model: 'm' }, () => i, rec.config());
      const ids = rec.spans().map((s) => s.attributes[ATTR_AUDIT_RECORD_ID]);
      expect(new Set(ids).size).to.equal(3);
    });

    it('sets extra attributes from the context, the request and the response, never over its own', async () => {
      await withAuditContext({ attributes: { 'app.region': 'eu', 'app.tier': 'free' } }, () =>
        traceInference(
          {
            provider: 'ollama',
            model: 'real-model',
            attributes: { 'app.tier': 'pro', [ATTR_GEN_AI_REQUEST_MODEL]: 'spoofed' },
          },
          (inference) =>
            inference.setResponse({
              output: 'x',
              attributes: { 'app.cache': 'hit', [ATTR_AUDIT_RECORD_ID]: 'spoofed', [ATTR_AUDIT_OUTPUT_HASH]: 'spoofed' },
            }),
          rec.config(),
        ),
      );
      const a = rec.only().attributes;
      expect(a).to.include({ 'app.region': 'eu', 'app.tier': 'pro', 'app.cache': 'hit' });
      expect(a[ATTR_GEN_AI_REQUEST_MODEL]).to.equal('real-model');
      expect(a[ATTR_AUDIT_RECORD_ID]).not.to.equal('spoofed');
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(hashContent('x', { hashKey: TEST_HASH_KEY }));
    });
  });

  describe('result and fn', () => {
    it('returns what fn returns, sync or async, and runs fn exactly once', async () => {
      let calls = 0;
      const sync = await traceInference({ provider: 'p', model: 'm' }, () => {
        calls++;
        return { answer: 42 };
      }, rec.config());
      const later = await traceInference({ provider: 'p', model: 'm' }, async () => {
        calls++;
        await sleep(1);
        return 'later';
      }, rec.config());
      expect(sync).to.deep.equal({ answer: 42 });
      expect(later).to.equal('later');
      expect(calls).to.equal(2);
      expect(rec.spans()).to.have.length(2);
    });

    it('ignores the handle after the span ended', async () => {
      let saved: Inference | undefined;
      await traceInference({ provider: 'p', model: 'm' }, (inference) => {
        saved = inference;
      }, rec.config());
      saved!.setResponse({ output: 'late' });
      saved!.setErrorCode('late');
      expect(rec.only().attributes).not.to.have.property(ATTR_AUDIT_OUTPUT_HASH);
      expect(rec.only().attributes).not.to.have.property(ATTR_AUDIT_ERROR_CODE);
    });

    it('works on the global tracer provider when none is configured', async () => {
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      expect(trace.setGlobalTracerProvider(provider)).to.equal(true);
      try {
        await traceInference({ provider: 'p', model: 'global' }, () => 'ok', { content: { hashKey: 'k' } });
        expect(exporter.getFinishedSpans().map((s) => s.name)).to.deep.equal(['chat global']);
      } finally {
        trace.disable();
      }
    });

    it('still runs fn when the span is not sampled', async () => {
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const out = await traceInference({ provider: 'p', model: 'm', prompt: 'x' }, () => 'ran', { tracerProvider: provider });
      expect(out).to.equal('ran');
      expect(exporter.getFinishedSpans()).to.have.length(0);
    });
  });

  describe('confidence', () => {
    it('computes mean, min, perplexity, score and tokens from token logprobs', async () => {
      await traceInference({ provider: 'p', model: 'm' }, (inference) => {
        inference.setResponse({ confidence: { tokenLogprobs: new Float32Array([-0.5, -1.5, -1]) } });
      }, rec.config());
      const a = rec.only().attributes;
      expect(a[ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB]).to.equal(-1);
      expect(a[ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB]).to.equal(-1.5);
      expect(a[ATTR_AUDIT_CONFIDENCE_PERPLEXITY]).to.be.closeTo(Math.E, 1e-12);
      expect(a[ATTR_AUDIT_CONFIDENCE_SCORE]).to.be.closeTo(1 / Math.E, 1e-12);
      expect(a[ATTR_AUDIT_CONFIDENCE_TOKENS]).to.equal(3);
      expect(a[ATTR_AUDIT_CONFIDENCE_SOURCE]).to.equal('logprobs');
    });

    it('skips logprobs that are not finite', async () => {
      await traceInference({ provider: 'p', model: 'm' }, (inference) => {
        inference.setConfidence({ tokenLogprobs: [-2, Number.NaN, -Infinity, -4], source: 'rescored' });
      }, rec.config());
      const a = rec.only().attributes;
      expect(a[ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB]).to.equal(-3);
      expect(a[ATTR_AUDIT_CONFIDENCE_TOKENS]).to.equal(2);
      expect(a[ATTR_AUDIT_CONFIDENCE_SOURCE]).to.equal('rescored');
    });

    it('records caller statistics, deriving perplexity and score from the mean', async () => {
      await traceInference({ provider: 'p', model: 'm' }, (inference) => {
        inference.setResponse({ confidence: { tokenLogprobs: [-9] } });
        inference.setConfidence({ meanLogprob: -0.25, minLogprob: -2, tokens: 12 }); // wins over the response's
      }, rec.config());
      const a = rec.only().attributes;
      expect(a[ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB]).to.equal(-0.25);
      expect(a[ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB]).to.equal(-2);
      expect(a[ATTR_AUDIT_CONFIDENCE_PERPLEXITY]).to.equal(Math.exp(0.25));
      expect(a[ATTR_AUDIT_CONFIDENCE_SCORE]).to.equal(Math.exp(-0.25));
      expect(a[ATTR_AUDIT_CONFIDENCE_TOKENS]).to.equal(12);
      expect(a[ATTR_AUDIT_CONFIDENCE_SOURCE]).to.equal('caller');
    });

    it('records a caller score alone, and drops one outside [0, 1]', async () => {
      await traceInference({ provider: 'p', model: 'm' }, (i) => i.setConfidence({ score: 0.87 }), rec.config());
      await traceInference({ provider: 'p', model: 'm' }, (i) => i.setConfidence({ score: 3 }), rec.config());
      const [ok, bad] = rec.spans();
      expect(ok!.attributes[ATTR_AUDIT_CONFIDENCE_SCORE]).to.equal(0.87);
      expect(ok!.attributes[ATTR_AUDIT_CONFIDENCE_SOURCE]).to.equal('caller');
      expect(bad!.attributes).not.to.have.property(ATTR_AUDIT_CONFIDENCE_SCORE);
    });
  });

  describe('reasoning', () => {
    const hash = (text: string): string => hashContent(text, { hashKey: TEST_HASH_KEY });

    it('marks a <think> block: offsets of the block, hash of its content', async () => {
      const output = '<think>The user is upset.</think>\nSorry about that!';
      await traceInference({ provider: 'p', model: 'qwen3' }, (i) => i.setResponse({ output, usage: { reasoningTokens: 6 } }), rec.config());
      const a = rec.only().attributes;
      expect(a[ATTR_AUDIT_REASONING_PRESENT]).to.equal(true);
      expect(a[ATTR_AUDIT_REASONING_START]).to.equal(0);
      expect(a[ATTR_AUDIT_REASONING_END]).to.equal(33);
      expect(output.slice(0, 33)).to.equal('<think>The user is upset.</think>');
      expect(a[ATTR_AUDIT_REASONING_HASH]).to.equal(hash('The user is upset.'));
      expect(a[ATTR_AUDIT_REASONING_TOKENS]).to.equal(6);
      expect(a[semconv.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]).to.equal(6);
    });

    it('accepts <thinking>, counts UTF-16 offsets and finds a block after leading text', async () => {
      const output = '😀 <thinking>plan</thinking>done';
      await traceInference({ provider: 'p', model: 'm' }, (i) => i.setResponse({ output }), rec.config());
      const a = rec.only().attributes;
      expect(a[ATTR_AUDIT_REASONING_START]).to.equal(3);
      expect(a[ATTR_AUDIT_REASONING_END]).to.equal(3 + '<thinking>plan</thinking>'.length);
      expect(a[ATTR_AUDIT_REASONING_HASH]).to.equal(hash('plan'));
    });

    it('handles an unclosed block (cut off) and a lone closing tag (opened by the template)', async () => {
      await traceInference({ provider: 'p', model: 'm' }, (i) => i.setResponse({ output: 'ok <think>still going' }), rec.config());
      await traceInference({ provider: 'p', model: 'm' }, (i) => i.setResponse({ output: 'hidden steps</think>Answer' }), rec.config());
      const [unclosed, lone] = rec.spans().map((s) => s.attributes);
      expect(unclosed).to.include({ [ATTR_AUDIT_REASONING_START]: 3, [ATTR_AUDIT_REASONING_END]: 21 });
      expect(unclosed![ATTR_AUDIT_REASONING_HASH]).to.equal(hash('still going'));
      expect(lone).to.include({ [ATTR_AUDIT_REASONING_START]: 0, [ATTR_AUDIT_REASONING_END]: 20 });
      expect(lone![ATTR_AUDIT_REASONING_HASH]).to.equal(hash('hidden steps'));
    });

    it('records reasoning given apart from the output: present, hash, tokens, no offsets', async () => {
      await traceInference({ provider: 'p', model: 'deepseek-r1' }, (i) =>
        i.setResponse({ output: '42', reasoning: 'six times seven', usage: { reasoningTokens: 4 } }),
      rec.config({ output: 'full' }));
      const a = rec.only().attributes;
      expect(a).to.include({
        [ATTR_AUDIT_REASONING_PRESENT]: true,
        [ATTR_AUDIT_REASONING_HASH]: hash('six times seven'),
        [ATTR_AUDIT_REASONING_TOKENS]: 4,
      });
      expect(a).not.to.have.property(ATTR_AUDIT_REASONING_START);
      expect(json(a[ATTR_GEN_AI_OUTPUT_MESSAGES])).to.deep.equal([
        { role: 'assistant', parts: [{ type: 'reasoning', content: 'six times seven' }, { type: 'text', content: '42' }] },
      ]);
    });

    it('says reasoning is absent for a plain answer', async () => {
      await traceInference({ provider: 'p', model: 'm' }, (i) => i.setResponse({ output: 'a < b, so no' }), rec.config());
      const a = rec.only().attributes;
      expect(a[ATTR_AUDIT_REASONING_PRESENT]).to.equal(false);
      expect(a).not.to.have.property(ATTR_AUDIT_REASONING_HASH);
    });
  });

  describe('timing', () => {
    it('records time to first token, and time to first chunk when streaming', async () => {
      await traceInference({ provider: 'p', model: 'm', parameters: { stream: true } }, async (i) => {
        await sleep(20);
        i.firstToken();
        i.firstToken(performance.now() + 1e6); // only the first mark counts
        await sleep(20);
        i.setResponse({ usage: { outputTokens: 10 } });
      }, rec.config());
      const span = rec.only();
      const a = span.attributes;
      const ttft = a[ATTR_AUDIT_TIME_TO_FIRST_TOKEN] as number;
      const duration = span.duration[0] + span.duration[1] / 1e9;
      expect(ttft).to.be.within(0.015, duration);
      expect(a[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).to.equal(ttft);
      // 10 tokens over the ~20 ms after the first token.
      const tps = a[ATTR_AUDIT_TOKENS_PER_SECOND] as number;
      expect(tps).to.be.within(10 / (duration - ttft) * 0.9, 10 / 0.015);
    });

    it('takes an explicit first-token time and leaves time_to_first_chunk out when not streaming', async () => {
      let mark = 0;
      await traceInference({ provider: 'p', model: 'm' }, async (i) => {
        mark = performance.now();
        await sleep(5);
        i.firstToken(mark);
      }, rec.config());
      const a = rec.only().attributes;
      expect(a[ATTR_AUDIT_TIME_TO_FIRST_TOKEN]).to.be.a('number').and.to.be.within(0, 0.005);
      expect(a).not.to.have.property(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK);
    });

    it('computes tokens per second over the whole call without a first-token mark', async () => {
      await traceInference({ provider: 'p', model: 'm' }, async (i) => {
        await sleep(40);
        i.setResponse({ usage: { outputTokens: 20 } });
      }, rec.config());
      const span = rec.only();
      const duration = span.duration[0] + span.duration[1] / 1e9;
      const tps = span.attributes[ATTR_AUDIT_TOKENS_PER_SECOND] as number;
      expect(tps).to.be.within(20 / duration * 0.95, 20 / 0.035);
      expect(span.attributes).not.to.have.property(ATTR_AUDIT_TIME_TO_FIRST_TOKEN);
    });
  });

  describe('errors', () => {
    it('records a thrown error and rethrows the same object', async () => {
      const error = new TypeError('model crashed');
      let caught: unknown;
      try {
        await traceInference({ provider: 'p', model: 'm' }, () => {
          throw error;
        }, rec.config());
      } catch (e) {
        caught = e;
      }
      expect(caught).to.equal(error);
      const span = rec.only();
      expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'model crashed' });
      expect(span.attributes[ATTR_ERROR_TYPE]).to.equal('TypeError');
      expect(span.events).to.have.length(1);
      expect(span.events[0]!.name).to.equal('exception');
      expect(span.events[0]!.attributes).to.include({ 'exception.type': 'TypeError', 'exception.message': 'model crashed' });
    });

    it('uses a string code or type property as error.type, and records the provider error code', async () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:11434'), { code: 'ECONNREFUSED' });
      const limited = Object.assign(new Error('Too many requests'), { type: 'rate_limit_error', code: 429 });
      await traceInference({ provider: 'p', model: 'm' }, () => Promise.reject(refused), rec.config()).catch(() => {});
      await traceInference({ provider: 'p', model: 'm' }, (i) => {
        i.setErrorCode(429);
        throw limited;
      }, rec.config()).catch(() => {});
      const [a, b] = rec.spans().map((s) => s.attributes);
      expect(a![ATTR_ERROR_TYPE]).to.equal('ECONNREFUSED');
      expect(b![ATTR_ERROR_TYPE]).to.equal('rate_limit_error');
      expect(b![ATTR_AUDIT_ERROR_CODE]).to.equal('429');
    });

    it('rethrows a non-Error value unchanged and records error.type _OTHER', async () => {
      const thrown = { reason: 'nope' };
      let caught: unknown;
      await traceInference({ provider: 'p', model: 'm' }, async () => {
        await sleep(1);
        throw thrown;
      }, rec.config()).catch((e: unknown) => (caught = e));
      expect(caught).to.equal(thrown);
      const span = rec.only();
      expect(span.attributes[ATTR_ERROR_TYPE]).to.equal(ERROR_TYPE_OTHER);
      expect(span.status.code).to.equal(SpanStatusCode.ERROR);
      expect(span.events.map((e) => e.name)).to.deep.equal(['exception']);
    });

    it('keeps what fn reported before it threw', async () => {
      await traceInference({ provider: 'p', model: 'm' }, (i) => {
        i.setResponse({ output: 'partial', usage: { outputTokens: 3 } });
        throw new Error('stream broke');
      }, rec.config()).catch(() => {});
      expect(rec.only().attributes).to.include({
        [semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 3,
        [ATTR_AUDIT_OUTPUT_HASH]: hashContent('partial', { hashKey: TEST_HASH_KEY }),
      });
    });
  });

  describe('failures of the SDK itself never break the call', () => {
    it('survives a sealer that throws', async () => {
      const sealer: RecordSealer = {
        seal() {
          throw new Error('chain store down');
        },
      };
      const out = await traceInference({ provider: 'p', model: 'm' }, () => 'answer', rec.config({}, { sealers: [sealer] }));
      expect(out).to.equal('answer');
      expect(rec.only().attributes[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.INSTRUMENTATION_ERROR]);
      expect(diagnostics.some((d) => d.level === 'error' && d.message.includes('RecordSealer'))).to.equal(true);
    });

    it('survives a redactor that throws, and fails closed: no text, hash kept', async () => {
      const redactor: Redactor = {
        redact() {
          throw new Error('boom');
        },
      };
      const out = await traceInference(
        { provider: 'p', model: 'm', prompt: 'secret stuff' },
        () => 'fine',
        rec.config({ policy: 'redacted', redactor }),
      );
      expect(out).to.equal('fine');
      const a = rec.only().attributes;
      expect(a).not.to.have.property(ATTR_GEN_AI_INPUT_MESSAGES);
      expect(a[ATTR_AUDIT_INPUT_HASH]).to.be.a('string').with.length(64);
      expect(a[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.INSTRUMENTATION_ERROR]);
    });

    it('survives a redactor that returns nonsense', async () => {
      const redactor = { redact: () => null } as unknown as Redactor;
      await traceInference({ provider: 'p', model: 'm', prompt: 'x' }, () => 1, rec.config({ policy: 'redacted', redactor }));
      expect(rec.only().attributes).not.to.have.property(ATTR_GEN_AI_INPUT_MESSAGES);
    });

    it('runs fn exactly once when the tracer provider throws', async () => {
      const broken: TracerProvider = {
        getTracer(): Tracer {
          throw new Error('no tracer');
        },
      };
      let calls = 0;
      const out = await traceInference({ provider: 'p', model: 'm' }, (i) => {
        calls++;
        i.setResponse({ output: 'x' }); // a no-op handle, but callable
        return 'still works';
      }, { tracerProvider: broken });
      expect(out).to.equal('still works');
      expect(calls).to.equal(1);
    });

    it('passes the error of fn through when the span itself misbehaves', async () => {
      const span = rec.provider.getTracer('x').startSpan('template');
      span.end();
      const hostile: Span = Object.assign(Object.create(Object.getPrototypeOf(span)) as Span, span, {
        isRecording: () => true,
        setAttributes: () => {
          throw new Error('attributes rejected');
        },
        setAttribute: () => {
          throw new Error('attribute rejected');
        },
        recordException: () => {
          throw new Error('exception rejected');
        },
        end: () => {
          throw new Error('end rejected');
        },
      });
      const provider: TracerProvider = { getTracer: () => ({ startSpan: () => hostile }) as unknown as Tracer };
      const error = new Error('model failed');
      let caught: unknown;
      let calls = 0;
      await traceInference({ provider: 'p', model: 'm', prompt: 'hi' }, () => {
        calls++;
        throw error;
      }, { tracerProvider: provider }).catch((e: unknown) => (caught = e));
      expect(caught).to.equal(error);
      expect(calls).to.equal(1);
      expect(await traceInference({ provider: 'p', model: 'm' }, () => 'ok', { tracerProvider: provider })).to.equal('ok');
    });
  });

  describe('sealers', () => {
    it('hands each sealer the finished record before the span ends and sets what it returns', async () => {
      const seen: Array<{ recordId: string; recording: boolean; attributes: Record<string, unknown> }> = [];
      const first: RecordSealer = {
        seal(record) {
          seen.push({ recordId: record.recordId, recording: record.span.isRecording(), attributes: { ...record.attributes } });
          return { [semconv.ATTR_AUDIT_CHAIN_SEQ]: 7 };
        },
      };
      const second: RecordSealer = {
        seal(record) {
          return { [semconv.ATTR_AUDIT_RECORD_HASH]: `after-${String(record.attributes[semconv.ATTR_AUDIT_CHAIN_SEQ])}` };
        },
      };
      await traceInference(
        { provider: 'p', model: 'm', prompt: 'hello' },
        (i) => i.setResponse({ output: 'hi' }),
        rec.config({}, { sealers: [first, second] }),
      );
      const a = rec.only().attributes;
      expect(seen).to.have.length(1);
      expect(seen[0]!.recording).to.equal(true);
      expect(seen[0]!.recordId).to.equal(a[ATTR_AUDIT_RECORD_ID]);
      expect(seen[0]!.attributes[ATTR_AUDIT_INPUT_HASH]).to.equal(a[ATTR_AUDIT_INPUT_HASH]);
      expect(seen[0]!.attributes[ATTR_AUDIT_OUTPUT_HASH]).to.equal(a[ATTR_AUDIT_OUTPUT_HASH]);
      expect(seen[0]!.attributes[ATTR_GEN_AI_REQUEST_MODEL]).to.equal('m');
      expect(a[semconv.ATTR_AUDIT_CHAIN_SEQ]).to.equal(7);
      expect(a[semconv.ATTR_AUDIT_RECORD_HASH]).to.equal('after-7');
    });
  });

  describe('bad input', () => {
    it('records a missing model as "unknown" with a diagnostic', async () => {
      await traceInference({ provider: 'p' } as InferenceRequest, () => 'ok', rec.config());
      const span = rec.only();
      expect(span.name).to.equal('chat unknown');
      expect(span.attributes[ATTR_GEN_AI_REQUEST_MODEL]).to.equal('unknown');
      expect(span.attributes[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.MODEL_MISSING]);
      expect(diagnostics.some((d) => d.level === 'warn' && d.message.includes('request.model is missing'))).to.equal(true);
    });

    it('survives a request that is not an object', async () => {
      const out = await traceInference(null as unknown as InferenceRequest, () => 'ok', rec.config());
      expect(out).to.equal('ok');
      expect(rec.only().attributes[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.MODEL_MISSING]);
    });

    it('records circular and BigInt tool arguments with markers and a diagnostic', async () => {
      const args: Record<string, unknown> = { amount: 10n, city: 'Oslo' };
      args['self'] = args;
      await traceInference(
        {
          provider: 'p',
          model: 'm',
          messages: [{ role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'pay', arguments: args }] }],
        },
        () => 'ok',
        rec.config({ input: 'full' }),
      );
      const a = rec.only().attributes;
      expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal([
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'c1', name: 'pay', arguments: { amount: '10', city: 'Oslo', self: '[Circular]' } }],
        },
      ]);
      expect(a[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.NON_SERIALISABLE_CONTENT]);
      expect(diagnostics.some((d) => d.level === 'warn' && d.message.includes('BigInt'))).to.equal(true);
    });

    it('replaces lone surrogates with U+FFFD and flags invalid_utf8', async () => {
      await traceInference({ provider: 'p', model: 'm', prompt: 'bad \ud800 text' }, (i) => i.setResponse({ output: 'ok \udc00' }), rec.config({ policy: 'full' }));
      const a = rec.only().attributes;
      expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal([{ role: 'user', parts: [{ type: 'text', content: 'bad \ufffd text' }] }]);
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(hashContent('ok \ufffd', { hashKey: TEST_HASH_KEY }));
      expect(a[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.INVALID_UTF8]);
    });

    it('decodes UTF-8 bytes, replacing invalid sequences with U+FFFD', async () => {
      const bytes = new Uint8Array([0x68, 0x69, 0x20, 0xe2, 0x82, 0x20, 0xf0, 0x9f, 0x98, 0x80]); // "hi " + cut € + " " + 😀
      await traceInference({ provider: 'p', model: 'm' }, (i) => i.setResponse({ output: bytes }), rec.config({ output: 'full' }));
      const a = rec.only().attributes;
      expect(json(a[ATTR_GEN_AI_OUTPUT_MESSAGES])).to.deep.equal([{ role: 'assistant', parts: [{ type: 'text', content: 'hi \ufffd 😀' }] }]);
      expect(a[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.INVALID_UTF8]);
    });

    it('accepts valid UTF-8 bytes without a diagnostic', async () => {
      await traceInference({ provider: 'p', model: 'm', prompt: new TextEncoder().encode('grüß dich') }, () => 1, rec.config({ input: 'full' }));
      const a = rec.only().attributes;
      expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal([{ role: 'user', parts: [{ type: 'text', content: 'grüß dich' }] }]);
      expect(a).not.to.have.property(ATTR_AUDIT_DIAGNOSTICS);
    });

    it('ignores parameters of the wrong type', async () => {
      await traceInference(
        { provider: 'p', model: 'm', parameters: { temperature: Number.NaN, topK: '40' as unknown as number, stream: 'yes' as unknown as boolean } },
        () => 1,
        rec.config(),
      );
      const a = rec.only().attributes;
      expect(a).not.to.have.property(semconv.ATTR_GEN_AI_REQUEST_TEMPERATURE);
      expect(a).not.to.have.property(semconv.ATTR_GEN_AI_REQUEST_TOP_K);
      expect(a).not.to.have.property(semconv.ATTR_GEN_AI_REQUEST_STREAM);
    });
  });
});
