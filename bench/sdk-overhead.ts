/*
 * Per-call overhead of traceInference against a bare OpenTelemetry span.
 *
 *   npx tsx bench/sdk-overhead.ts          (after building: npx tsc -b packages/sdk)
 *
 * (a) bare: startSpan with the same attributes traceInference records (same count,
 *     same values, prebuilt), the span made active around the model call, end.
 * (b) traceInference: 1 KB prompt, 1 KB response, `hash` policy, built-in redactor.
 * Both use a BatchSpanProcessor over a no-op exporter and an AsyncLocalStorage
 * context manager; the "model" returns at once, so (b) is all SDK cost. Calls are
 * timed one by one, in interleaved blocks, after warm-up.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { context, SpanKind, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { traceInference, type AuditConfig, type Inference, type InferenceRequest, type InferenceResponse } from '@slm-audit/sdk';

export const TARGET_P50_US = 25;
export const TARGET_RATIO = 4;

export interface Percentiles {
  p50: number;
  p95: number;
}

export interface SdkOverheadResult {
  /** Bare OpenTelemetry span with the same attributes, µs per call. */
  bare: Percentiles;
  /** traceInference with a no-op model call, µs per call. */
  traced: Percentiles;
  /** Attributes on each span. */
  attributes: number;
  /** p50 of traceInference (all of it is SDK overhead: the model call is a no-op), µs. */
  overheadP50Us: number;
  /** p50 of traceInference minus p50 of the bare span, µs. */
  extraOverBareP50Us: number;
  /** traced p50 / bare p50. */
  ratio: number;
  pass: boolean;
}

export interface RunOptions {
  warmup?: number;
  iterations?: number;
  /** Print the table (default true when run directly). */
  print?: boolean;
}

const SENTENCES = [
  'I ordered a pair of trail running shoes last week and they arrived today, but the left one is a size 10 while the right one is a size 9.',
  'Could you tell me how to send them back and whether the replacement pair can be shipped before the weekend?',
  'The order number is 48213 and it was placed on 2024-03-02; I paid $129.99 by card.',
  'My account email is jane.doe@example.com if you need to reach me.',
  'The box was also damaged on one side, with a tear of about five centimetres, though the shoes themselves look fine.',
];

function text(bytes: number, offset: number): string {
  let out = '';
  for (let i = offset; out.length < bytes; i++) out += SENTENCES[i % SENTENCES.length] + ' ';
  return out.slice(0, bytes);
}

const PROMPT = text(1024, 0);
const OUTPUT = text(1024, 1);

const noopExporter: SpanExporter = {
  export(_spans, done) {
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};

function percentiles(samples: Float64Array): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95) };
}

const yieldToTimers = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function run(options: RunOptions = {}): Promise<SdkOverheadResult> {
  const warmup = options.warmup ?? 20_000;
  const iterations = options.iterations ?? 100_000;
  const print = options.print ?? false;

  const contextManager = new AsyncLocalStorageContextManager().enable();
  const hadContextManager = !context.setGlobalContextManager(contextManager);
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(noopExporter, { maxQueueSize: 8192, maxExportBatchSize: 512 })],
  });
  const tracer = provider.getTracer('bench-bare');

  const request: InferenceRequest = {
    provider: 'llama.cpp',
    model: 'qwen2.5-0.5b-instruct-q4_k_m',
    inProcess: true,
    prompt: PROMPT,
    parameters: { temperature: 0.7, topP: 0.9, maxTokens: 256, seed: 42 },
    template: { id: 'support-reply', version: '3' },
  };
  const response: InferenceResponse = {
    id: 'resp-1',
    model: 'qwen2.5-0.5b-instruct-q4_k_m',
    finishReasons: ['stop'],
    output: OUTPUT,
    usage: { inputTokens: 240, outputTokens: 230 },
  };
  // A fixed key: the bench measures the hashing, not the built-in-key warning.
  const config: AuditConfig = { tracerProvider: provider, content: { policy: 'hash', hashKey: 'bench-key' } };
  const model = (inference: Inference): string => {
    inference.firstToken();
    inference.setResponse(response);
    return 'ok';
  };

  // Calibrate: the attributes one traceInference span carries, for the bare span.
  const memory = new InMemorySpanExporter();
  const calibration = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  await traceInference(request, model, { ...config, tracerProvider: calibration });
  const recorded = memory.getFinishedSpans()[0]!;
  const entries = Object.entries(recorded.attributes);
  const half = Math.ceil(entries.length / 2);
  const startAttrs: Attributes = Object.fromEntries(entries.slice(0, half));
  const endAttrs: Attributes = Object.fromEntries(entries.slice(half));
  await calibration.shutdown();

  const noModel = (): string => 'ok';
  const bare = async (): Promise<string> => {
    const parent = context.active();
    const span = tracer.startSpan(recorded.name, { kind: SpanKind.INTERNAL, attributes: startAttrs }, parent);
    const result = await context.with(trace.setSpan(parent, span), noModel);
    span.setAttributes(endAttrs);
    span.end();
    return result;
  };
  const traced = (): Promise<string> => traceInference(request, model, config);

  const block = 1000;
  const bareSamples = new Float64Array(iterations);
  const tracedSamples = new Float64Array(iterations);

  async function measure(fn: () => Promise<string>, samples: Float64Array | undefined, from: number, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      const t1 = process.hrtime.bigint();
      if (samples !== undefined) samples[from + i] = Number(t1 - t0) / 1000;
    }
    await yieldToTimers(); // let the batch processor export
  }

  for (let done = 0; done < warmup; done += block) {
    await measure(bare, undefined, 0, Math.min(block, warmup - done));
    await measure(traced, undefined, 0, Math.min(block, warmup - done));
  }
  collectGarbage();
  for (let done = 0; done < iterations; done += block) {
    const count = Math.min(block, iterations - done);
    await measure(bare, bareSamples, done, count);
    await measure(traced, tracedSamples, done, count);
  }

  await provider.shutdown();
  if (!hadContextManager) context.disable();

  const bareP = percentiles(bareSamples);
  const tracedP = percentiles(tracedSamples);
  const ratio = tracedP.p50 / bareP.p50;
  const result: SdkOverheadResult = {
    bare: bareP,
    traced: tracedP,
    attributes: entries.length,
    overheadP50Us: tracedP.p50,
    extraOverBareP50Us: tracedP.p50 - bareP.p50,
    ratio,
    pass: tracedP.p50 <= TARGET_P50_US && ratio <= TARGET_RATIO,
  };
  if (print) report(result);
  return result;
}

function report(r: SdkOverheadResult): void {
  const f = (n: number): string => n.toFixed(2).padStart(8);
  const lines = [
    `sdk-overhead: ${r.attributes} attributes per span, 1 KB prompt + 1 KB response, hash policy, built-in redactor`,
    `                         p50 µs    p95 µs`,
    `  bare OTel span       ${f(r.bare.p50)}  ${f(r.bare.p95)}`,
    `  traceInference       ${f(r.traced.p50)}  ${f(r.traced.p95)}`,
    `  overhead p50 ${r.overheadP50Us.toFixed(2)} µs (target <= ${TARGET_P50_US}), ${r.extraOverBareP50Us.toFixed(2)} µs over the bare span`,
    `  ratio ${r.ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x)`,
    `  ${r.pass ? 'PASS' : 'FAIL'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) await run({ print: true });
