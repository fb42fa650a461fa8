/*
 * Runs the real llama.cpp runtime (node-llama-cpp) on a tiny generated model. One Llama
 * and one model are shared by all tests: getLlama() alone costs ~0.4 s.
 */
import { SpanKind, SpanStatusCode, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB,
  ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB,
  ATTR_AUDIT_CONFIDENCE_SOURCE,
  ATTR_AUDIT_CONFIDENCE_TOKENS,
  ATTR_AUDIT_ERROR_CODE,
  ATTR_AUDIT_MODEL_CONTEXT_SIZE,
  ATTR_AUDIT_MODEL_DIGEST,
  ATTR_AUDIT_MODEL_FAMILY,
  ATTR_AUDIT_MODEL_QUANTIZATION,
  ATTR_AUDIT_MODEL_VERSION,
  ATTR_AUDIT_TIME_TO_FIRST_TOKEN,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_USER_ID,
} from '@slm-audit/semconv';
import { type TinyModelFile, writeTinyModel } from '@slm-audit/tiny-model';
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Llama, LlamaLogLevel, type Token, getLlama } from 'node-llama-cpp';
import { withAuditContext } from '../src/index.js';
import {
  type AuditedModel,
  ContextLengthExceededError,
  LLAMA_CPP_PROVIDER,
  createAuditedModel,
  rescoreTokens,
} from '../src/integrations/node-llama-cpp/index.js';
import { TokenTextDecoder } from '../src/integrations/node-llama-cpp/text.js';

const hrSeconds = ([s, ns]: [number, number]) => s + ns / 1e9;

describe('@slm-audit/sdk/node-llama-cpp (real runtime, tiny model)', function () {
  this.timeout(30_000);

  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let ownsContextManager = false;
  let dir: string;
  let file: TinyModelFile;
  let llama: Llama;
  let audited: AuditedModel;

  const onlySpan = (): ReadableSpan => {
    const spans = exporter.getFinishedSpans();
    expect(spans, 'finished spans').to.have.length(1);
    return spans[0]!;
  };
  const promptTokens = (prompt: string): Token[] => [audited.model.tokens.bos!, ...audited.model.tokenize(prompt)];

  before(async () => {
    ownsContextManager = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    dir = await mkdtemp(join(tmpdir(), 'slm-audit-llama-'));
    file = await writeTinyModel(join(dir, 'tiny-v1.gguf'), { seed: 42, version: '1' });
    llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
    audited = await createAuditedModel({
      llama,
      modelPath: file.path,
      name: 'tiny-llama',
      threads: 1,
      audit: { tracerProvider, content: { policy: 'full' } },
    });
  });

  after(async () => {
    await audited?.dispose();
    await llama?.dispose();
    await tracerProvider.shutdown();
    if (ownsContextManager) context.disable();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => exporter.reset());

  it('loads the generated model with its vocabulary and metadata', () => {
    expect(audited.model.tokens.bos).to.equal(1);
    expect(audited.model.tokens.eos).to.equal(2);
    expect(audited.model.fileInfo.metadata.general.architecture).to.equal('llama');
    expect(audited.model.fileInsights.trainContextSize).to.equal(1024);
    expect(audited.model.detokenize(audited.model.tokenize('Hello, world!'))).to.equal('Hello, world!');
    expect(audited.identity).to.deep.include({
      digest: file.sha256,
      quantization: 'F32',
      contextSize: 1024,
      family: 'llama',
      version: '1',
    });
  });

  it('streams multi-byte characters whole although byte tokens split them', () => {
    const text = 'héllo ✓ 日本';
    const decoder = new TokenTextDecoder(audited.model);
    const chunks = audited.model.tokenize(text).map((t) => decoder.push(t));
    chunks.push(decoder.flush());
    expect(chunks.join('')).to.equal(text);
    for (const c of chunks) expect(c).to.not.contain('\uFFFD');
  });

  it('records a text completion: real token counts, time to first token, model identity', async () => {
    const prompt = 'The quick brown fox';
    const result = await audited.complete(prompt, { maxTokens: 24 });

    expect(result.finishReason).to.equal('length');
    expect(result.tokens).to.have.length(24);
    expect(result.usage).to.deep.equal({ inputTokens: promptTokens(prompt).length, outputTokens: 24 });
    expect(result.text).to.equal(audited.model.detokenize(result.tokens));
    expect(result.text).to.match(/^[\x20-\x7e\n]+$/); // the tiny model is biased to printable ASCII

    const span = onlySpan();
    const a = span.attributes;
    expect(span.kind).to.equal(SpanKind.INTERNAL);
    expect(a[ATTR_GEN_AI_OPERATION_NAME]).to.equal('text_completion');
    expect(a[ATTR_GEN_AI_PROVIDER_NAME]).to.equal(LLAMA_CPP_PROVIDER);
    expect(a[ATTR_GEN_AI_REQUEST_MODEL]).to.equal('tiny-llama');
    expect(a[ATTR_GEN_AI_REQUEST_MAX_TOKENS]).to.equal(24);
    expect(a[ATTR_GEN_AI_REQUEST_TEMPERATURE]).to.equal(0);
    expect(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).to.equal(result.usage.inputTokens);
    expect(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).to.equal(result.tokens.length);
    expect(a[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['length']);
    // The content policy is `full` here, so the output text itself is on the record.
    expect(JSON.parse(a[ATTR_GEN_AI_OUTPUT_MESSAGES] as string)[0].parts[0].content).to.equal(result.text);

    const ttft = a[ATTR_AUDIT_TIME_TO_FIRST_TOKEN] as number;
    const duration = hrSeconds(span.duration);
    expect(ttft).to.be.a('number').greaterThan(0).lessThan(duration);

    expect(a[ATTR_AUDIT_MODEL_DIGEST]).to.equal(file.sha256);
    expect(a[ATTR_AUDIT_MODEL_QUANTIZATION]).to.equal('F32');
    expect(a[ATTR_AUDIT_MODEL_CONTEXT_SIZE]).to.equal(1024);
    expect(a[ATTR_AUDIT_MODEL_FAMILY]).to.equal('llama');
    expect(a[ATTR_AUDIT_MODEL_VERSION]).to.equal('1');

    // Confidence statistics are those of the returned per-token logprobs.
    expect(result.confidenceSource).to.equal('logprobs');
    expect(result.logprobs).to.have.length(24);
    const mean = result.logprobs.reduce((s, x) => s + x, 0) / result.logprobs.length;
    const min = Math.min(...result.logprobs);
    expect(a[ATTR_AUDIT_CONFIDENCE_SOURCE]).to.equal('logprobs');
    expect(a[ATTR_AUDIT_CONFIDENCE_TOKENS]).to.equal(24);
    expect(a[ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB]).to.be.closeTo(mean, 1e-9);
    expect(a[ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB]).to.be.closeTo(min, 1e-9);
    expect(mean).to.be.lessThan(0).and.greaterThan(-Math.log(260));
    expect(min).to.be.lessThan(0);
    expect(Number.isFinite(min)).to.equal(true);
  });

  it("records logprobs that are the model's probabilities of the chosen tokens", async () => {
    const prompt = 'Once upon a time';
    const result = await audited.complete(prompt, { maxTokens: 12 });

    // Independent check on a separate context: the full next-token distribution at each step.
    const ctx = await audited.model.createContext({ contextSize: 256, threads: 1 });
    try {
      const sequence = ctx.getSequence();
      const input = promptTokens(prompt);
      const steps = await sequence.controlledEvaluate(
        [...input, ...result.tokens.slice(0, -1)].map((token, i) =>
          i >= input.length - 1 ? [token, { generateNext: { probabilities: true } }] : token,
        ),
      );
      result.tokens.forEach((token, j) => {
        const probabilities = steps[input.length - 1 + j]!.next.probabilities!;
        const [top] = probabilities.entries().next().value!;
        expect(token, `greedy token ${j} is the most probable`).to.equal(top);
        expect(result.logprobs[j]).to.be.closeTo(Math.log(probabilities.get(token)!), 1e-3);
      });

      // The exported helper gives the same numbers.
      const rescored = await rescoreTokens(sequence, input, result.tokens);
      rescored.forEach((lp, j) => expect(lp).to.be.closeTo(result.logprobs[j]!, 1e-3));
      await sequence.dispose();
    } finally {
      await ctx.dispose();
    }
  });

  it('streams chunks through onToken that concatenate to the output', async () => {
    const chunks: string[] = [];
    const result = await audited.complete('Streaming test:', { maxTokens: 20, onToken: (t) => chunks.push(t) });
    expect(chunks.length).to.be.greaterThan(1);
    expect(chunks.join('')).to.equal(result.text);
    expect(onlySpan().attributes[ATTR_GEN_AI_REQUEST_STREAM]).to.equal(true);
  });

  it('ends at a stop sequence with finish reason stop, streaming nothing past it', async () => {
    const prompt = 'Stop here:';
    const full = await audited.complete(prompt, { maxTokens: 40 });
    expect(full.text.length).to.be.greaterThan(15);
    const stop = full.text.slice(12, 15);
    const expected = full.text.slice(0, full.text.indexOf(stop));
    exporter.reset();

    const chunks: string[] = [];
    const result = await audited.complete(prompt, { maxTokens: 40, stop: [stop], onToken: (t) => chunks.push(t) });
    expect(result.text).to.equal(expected);
    expect(chunks.join('')).to.equal(expected);
    expect(result.finishReason).to.equal('stop');
    expect(result.tokens.length).to.be.lessThan(40);
    const a = onlySpan().attributes;
    expect(a[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['stop']);
    expect(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).to.equal(result.tokens.length);
  });

  it('re-scores sampled output, since sampler probabilities are tempered and truncated', async () => {
    const result = await audited.complete('Sampled:', { maxTokens: 16, temperature: 0.9, seed: 7, topK: 40 });
    expect(result.tokens).to.have.length(16);
    expect(result.confidenceSource).to.equal('rescored');
    expect(result.logprobs).to.have.length(16);
    for (const lp of result.logprobs) expect(lp).to.be.lessThanOrEqual(0);
    const a = onlySpan().attributes;
    expect(a[ATTR_AUDIT_CONFIDENCE_SOURCE]).to.equal('rescored');
    expect(a[ATTR_GEN_AI_REQUEST_TEMPERATURE]).to.equal(0.9);
  });

  it('records an abort through AbortSignal and rejects with its reason', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const call = audited.complete('Abort me:', {
      maxTokens: 200,
      signal: controller.signal,
      onToken: () => {
        if (++chunks === 5) controller.abort();
      },
    });
    const error = await call.then(
      () => expect.fail('expected the call to reject'),
      (err: unknown) => err,
    );
    expect((error as Error).name).to.equal('AbortError');
    const span = onlySpan();
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['abort']);
    expect(span.attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).to.be.within(5, 199);
  });

  it('with stopOnAbortSignal, resolves with the partial output and finish reason abort', async () => {
    const controller = new AbortController();
    const chunks: string[] = [];
    const result = await audited.complete('Abort me softly:', {
      maxTokens: 200,
      signal: controller.signal,
      stopOnAbortSignal: true,
      onToken: (t) => {
        chunks.push(t);
        if (chunks.length === 3) controller.abort();
      },
    });
    expect(result.finishReason).to.equal('abort');
    expect(result.text).to.equal(chunks.join(''));
    expect(result.tokens.length).to.be.within(3, 199);
    const span = onlySpan();
    expect(span.attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['abort']);
    expect(span.status.code).to.not.equal(SpanStatusCode.ERROR);
  });

  it('records and rethrows a prompt longer than the context', async () => {
    const prompt = 'word '.repeat(600); // ~1200 tokens in a 1024-token context
    const error = await audited.complete(prompt).then(
      () => expect.fail('expected the call to reject'),
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(ContextLengthExceededError);
    const span = onlySpan();
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_AUDIT_ERROR_CODE]).to.equal('context_length_exceeded');
    expect(span.attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).to.equal(promptTokens(prompt).length);
  });

  it("chats through the model's chat template and re-scores the response", async () => {
    const chunks: string[] = [];
    const result = await audited.chat(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi there' },
      ],
      { maxTokens: 16, onToken: (t) => chunks.push(t) },
    );
    // The template renders `{{ bos_token }}<|system|>Be brief.\n<|user|>Hi there\n<|assistant|>`.
    const rendered = promptTokens('<|system|>Be brief.\n<|user|>Hi there\n<|assistant|>');
    expect(result.usage.inputTokens).to.equal(rendered.length);
    expect(result.usage.outputTokens).to.equal(result.tokens.length);
    expect(result.tokens.length).to.be.within(1, 16);
    expect(chunks.join('')).to.equal(result.text);
    expect(result.confidenceSource).to.equal('rescored');
    expect(result.logprobs).to.have.length(result.tokens.length);

    const span = onlySpan();
    const a = span.attributes;
    expect(a[ATTR_GEN_AI_OPERATION_NAME]).to.equal('chat');
    expect(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).to.equal(rendered.length);
    expect(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).to.equal(result.tokens.length);
    expect(a[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal([result.finishReason]);
    expect(a[ATTR_AUDIT_CONFIDENCE_SOURCE]).to.equal('rescored');
    expect(a[ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB]).to.be.lessThan(0);
    const ttft = a[ATTR_AUDIT_TIME_TO_FIRST_TOKEN] as number;
    expect(ttft).to.be.greaterThan(0).lessThan(hrSeconds(span.duration));
  });

  it('ends a chat at a stop sequence, and at an abort with stopOnAbortSignal', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', content: 'Tell me more' }] }];
    const full = await audited.chat(messages, { maxTokens: 30 });
    expect(full.text.length).to.be.greaterThan(10);
    const stop = full.text.slice(8, 10);
    const stopped = await audited.chat(messages, { maxTokens: 30, stop: [stop] });
    expect(stopped.text).to.equal(full.text.slice(0, full.text.indexOf(stop)));
    expect(stopped.finishReason).to.equal('stop');

    exporter.reset();
    const controller = new AbortController();
    const chunks: string[] = [];
    const aborted = await audited.chat(messages, {
      maxTokens: 200,
      signal: controller.signal,
      stopOnAbortSignal: true,
      onToken: (t) => {
        chunks.push(t);
        if (chunks.length === 3) controller.abort();
      },
    });
    expect(aborted.finishReason).to.equal('abort');
    expect(aborted.tokens.length).to.be.within(3, 199);
    expect(onlySpan().attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['abort']);
  });

  it('rejects chat roles the template cannot render, recording the error', async () => {
    const error = await audited.chat([{ role: 'tool', content: '{}' }]).then(
      () => expect.fail('expected the call to reject'),
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(TypeError);
    expect(onlySpan().status.code).to.equal(SpanStatusCode.ERROR);
  });

  it('puts the audit context on the span', async () => {
    await withAuditContext({ userId: 'user-7' }, () => audited.complete('Who am I?', { maxTokens: 4 }));
    expect(onlySpan().attributes[ATTR_USER_ID]).to.equal('user-7');
  });

  it('queues concurrent calls on one sequence, one record each', async () => {
    const results = await Promise.all(['a', 'b', 'c'].map((p) => audited.complete(p, { maxTokens: 8 })));
    for (const r of results) expect(r.tokens).to.have.length(8);
    expect(exporter.getFinishedSpans()).to.have.length(3);
  });

  it('tells model versions apart by digest and version', async () => {
    const v2 = await writeTinyModel(join(dir, 'tiny-v2.gguf'), { seed: 42, version: '2' });
    const other = await createAuditedModel({ llama, modelPath: v2.path, threads: 1, audit: { tracerProvider } });
    try {
      expect(other.identity.digest).to.equal(v2.sha256).and.not.equal(file.sha256);
      expect(other.identity.version).to.equal('2');
      expect(other.name).to.equal('slm-audit tiny llama 2'); // general.name from the file
      await other.complete('Hello', { maxTokens: 4 });
      expect(onlySpan().attributes[ATTR_AUDIT_MODEL_DIGEST]).to.equal(v2.sha256);
    } finally {
      await other.dispose();
    }
    const error = await other.complete('Hello').then(
      () => expect.fail('expected the call to reject'),
      (err: unknown) => err,
    );
    expect((error as Error).message).to.match(/disposed/);
  });
});
