/*
 * Exporter throughput: spans → rows mapping alone, end-to-end export into a fresh
 * embedded store, and a baseline of inserting the same rows pre-built, all in one
 * process.
 *
 *   npx tsx bench/exporter-throughput.ts [spans]      (default 200000; or BENCH_SPANS)
 *   BENCH_BATCHES=8192,512 (the default) picks the batch sizes; the first line printed
 *   (the headline) is the batch size startAudit gives the ClickHouse exporter's
 *   BatchSpanProcessor (CLICKHOUSE_BATCH_DEFAULTS.maxExportBatchSize).
 *   BENCH_MAX_SPANS_PER_INSERT sets the exporter's maxSpansPerInsert (default its own).
 */
import { randomUUID, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as A from '@slm-audit/semconv';
import {
  ClickHouseSpanExporter,
  EmbeddedStore,
  INFERENCES_TABLE,
  TRACES_TABLE,
  ensureSchema,
  SpanRowWriter,
  spansToRows,
} from '../packages/exporter-clickhouse/src/index.js';
import { CLICKHOUSE_BATCH_DEFAULTS } from '../packages/sdk/src/start-audit.js';

/** The batch size startAudit uses for the ClickHouse exporter: the headline number. */
export const HEADLINE_BATCH: number = CLICKHOUSE_BATCH_DEFAULTS.maxExportBatchSize;

export interface BenchResult {
  spans: number;
  batch: number;
  /** spansToRows alone. */
  mappingSpansPerSec: number;
  /** exporter.export(), one batch at a time, into a fresh database. */
  exportSpansPerSec: number;
  /** store.insert() of the same rows, built beforehand, into a fresh database. */
  rawInsertSpansPerSec: number;
  /** exportSpansPerSec / rawInsertSpansPerSec. */
  ratio: number;
}

export interface BenchOptions {
  spans?: number;
  batches?: number[];
  /** Share of spans carrying message content (policy `full`); the rest carry hashes only. */
  contentShare?: number;
  /** The exporter's maxSpansPerInsert; default its own. */
  maxSpansPerInsert?: number;
}

class Collect implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(_span: Span, _ctx: Context): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const MODELS = ['qwen2.5-0.5b-instruct', 'llama-3.2-1b-instruct', 'phi-3.5-mini', 'gemma-2-2b-it'];
const FEATURES = ['support-reply', 'summarize-ticket', 'classify-intent', 'draft-email'];

function hex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** Finished inference spans made by the real SDK, shaped like what @slm-audit/sdk records. */
export function makeInferenceSpans(count: number, contentShare = 0.2): ReadableSpan[] {
  const collect = new Collect();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [A.ATTR_SERVICE_NAME]: 'support-bot',
      [A.ATTR_SERVICE_VERSION]: '2.3.4',
      [A.ATTR_HOST_NAME]: 'host-7',
      'telemetry.sdk.language': 'nodejs',
    }),
    spanProcessors: [collect],
    spanLimits: { attributeCountLimit: 256 },
  });
  const tracer = provider.getTracer(A.AUDIT_SCOPE_NAME, '0.1.0');
  const userText = 'Hello, my order #1234 has not arrived yet and the tracking page shows no update since Monday. '.repeat(5);
  const answer = 'I am sorry to hear that. I have checked your order and it is on its way; it should arrive within two days. '.repeat(5);
  const base = Date.now() * 1e6;
  for (let i = 0; i < count; i++) {
    const model = MODELS[i % MODELS.length]!;
    const full = i % Math.round(1 / contentShare) === 0;
    const startNs = base + i * 1_000_003;
    const start: [number, number] = [Math.floor(startNs / 1e9), startNs % 1e9];
    const span = tracer.startSpan(`chat ${model}`, {
      kind: SpanKind.INTERNAL,
      startTime: start,
      attributes: {
        [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
        [A.ATTR_GEN_AI_PROVIDER_NAME]: 'llama.cpp',
        [A.ATTR_GEN_AI_REQUEST_MODEL]: model,
        [A.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.7,
        [A.ATTR_GEN_AI_REQUEST_TOP_P]: 0.9,
        [A.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 256,
        [A.ATTR_GEN_AI_CONVERSATION_ID]: `conv-${i % 5000}`,
        [A.ATTR_USER_ID]: `user-${i % 997}`,
        [A.ATTR_SESSION_ID]: `session-${i % 3001}`,
        [A.ATTR_AUDIT_RECORD_ID]: randomUUID(),
        [A.ATTR_AUDIT_TENANT_ID]: `tenant-${i % 7}`,
        [A.ATTR_AUDIT_FEATURE]: FEATURES[i % FEATURES.length]!,
        [A.ATTR_AUDIT_PROMPT_TEMPLATE_ID]: 'support',
        [A.ATTR_AUDIT_PROMPT_TEMPLATE_VERSION]: 'v3',
        [A.ATTR_AUDIT_CONTENT_INPUT_POLICY]: full ? 'full' : 'hash',
        [A.ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: full ? 'full' : 'hash',
        [A.ATTR_AUDIT_INPUT_HASH]: hex(`in${i}`),
        [A.ATTR_AUDIT_HASH_KEY_ID]: 'key-2026-01',
        [A.ATTR_AUDIT_MODEL_DIGEST]: 'sha256:6f2a1c0b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a',
        [A.ATTR_AUDIT_MODEL_QUANTIZATION]: 'Q4_K_M',
        [A.ATTR_AUDIT_MODEL_CONTEXT_SIZE]: 4096,
        ...(full
          ? {
              [A.ATTR_GEN_AI_INPUT_MESSAGES]: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: userText }] }]),
              [A.ATTR_GEN_AI_OUTPUT_MESSAGES]: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' }]),
            }
          : {}),
      },
    });
    span.setAttributes({
      [A.ATTR_GEN_AI_RESPONSE_MODEL]: model,
      [A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
      [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 100 + (i % 400),
      [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 20 + (i % 200),
      [A.ATTR_AUDIT_OUTPUT_HASH]: hex(`out${i}`),
      [A.ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB]: -0.25,
      [A.ATTR_AUDIT_CONFIDENCE_SCORE]: 0.78,
      [A.ATTR_AUDIT_CONFIDENCE_SOURCE]: 'logprobs',
      [A.ATTR_AUDIT_TIME_TO_FIRST_TOKEN]: 0.05 + (i % 10) / 100,
      [A.ATTR_AUDIT_TOKENS_PER_SECOND]: 30 + (i % 50),
    });
    span.setStatus({ code: SpanStatusCode.OK });
    const endNs = startNs + 150_000_000 + (i % 1000) * 1000;
    span.end([Math.floor(endNs / 1e9), endNs % 1e9]);
  }
  return collect.spans;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function exportOnce(exporter: ClickHouseSpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) =>
    exporter.export(spans, (r) => (r.code === ExportResultCode.SUCCESS ? resolve() : reject(r.error ?? new Error('export failed')))),
  );
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const count = options.spans ?? 200_000;
  const batches = options.batches ?? [...new Set([HEADLINE_BATCH, 512])];
  const spans = makeInferenceSpans(count, options.contentShare ?? 0.2);

  // Mapping first, on a quiet machine: the engine's background merges would compete for CPU.
  const mapping = new Map<number, number>();
  for (const batch of batches) {
    const groups = chunks(spans, batch);
    const writer = new SpanRowWriter(); // reuses row memory, as the exporter does
    writer.write(groups[0]!); // warm-up
    const t = performance.now();
    for (const g of groups) writer.write(g);
    mapping.set(batch, performance.now() - t);
  }

  const dir = mkdtempSync(join(tmpdir(), 'slm-audit-bench-'));
  const admin = await EmbeddedStore.open({ path: dir, database: 'default' });
  const results: BenchResult[] = [];
  try {
    let n = 0;
    for (const batch of batches) {
      const groups = chunks(spans, batch);

      // End to end: what a BatchSpanProcessor does, one export at a time, into a fresh database.
      const exportDb = `bench_export_${batch}_${n}`;
      const exportStore = await EmbeddedStore.open({ path: dir, database: exportDb });
      await ensureSchema(exportStore);
      const exporter = new ClickHouseSpanExporter({
        store: exportStore,
        createSchema: false,
        ...(options.maxSpansPerInsert !== undefined ? { maxSpansPerInsert: options.maxSpansPerInsert } : {}),
      });
      let t = performance.now();
      for (const g of groups) await exportOnce(exporter, g);
      const exportMs = performance.now() - t;
      await exporter.shutdown();
      await checkCount(admin, exportDb, count);
      // Dropping stops its background merges, which would slow the next phase.
      await admin.exec(`DROP DATABASE ${exportDb} SYNC`);
      await exportStore.close();

      // Baseline: the same rows, built beforehand (not timed), straight into the same tables.
      const payloads = groups.map((g) => spansToRows(g));
      const rawDb = `bench_raw_${batch}_${n++}`;
      const rawStore = await EmbeddedStore.open({ path: dir, database: rawDb });
      await ensureSchema(rawStore);
      t = performance.now();
      for (const rows of payloads) {
        await Promise.all([rawStore.insert(TRACES_TABLE, rows.traces), rawStore.insert(INFERENCES_TABLE, rows.inferences)]);
      }
      const rawMs = performance.now() - t;
      await checkCount(admin, rawDb, count);
      await admin.exec(`DROP DATABASE ${rawDb} SYNC`);
      await rawStore.close();

      results.push({
        spans: count,
        batch,
        mappingSpansPerSec: Math.round((count / mapping.get(batch)!) * 1000),
        exportSpansPerSec: Math.round((count / exportMs) * 1000),
        rawInsertSpansPerSec: Math.round((count / rawMs) * 1000),
        ratio: Number((rawMs / exportMs).toFixed(3)),
      });
    }
  } finally {
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function checkCount(store: EmbeddedStore, database: string, expected: number): Promise<void> {
  const [row] = await store.query<{ t: string; i: string }>(
    `SELECT (SELECT count() FROM ${database}.${TRACES_TABLE}) AS t, (SELECT count() FROM ${database}.${INFERENCES_TABLE}) AS i`,
  );
  if (Number(row!.t) !== expected || Number(row!.i) !== expected) throw new Error(`${database}: expected ${expected} rows, got ${JSON.stringify(row)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? process.env.BENCH_SPANS ?? 200_000);
  const batches = process.env.BENCH_BATCHES?.split(',').map(Number);
  const maxSpansPerInsert = process.env.BENCH_MAX_SPANS_PER_INSERT ? Number(process.env.BENCH_MAX_SPANS_PER_INSERT) : undefined;
  const results = await run({ spans: count, ...(batches ? { batches } : {}), ...(maxSpansPerInsert ? { maxSpansPerInsert } : {}) });
  const rows = results.map((r) => ({
    batch: r.batch === HEADLINE_BATCH ? `${r.batch} (startAudit default)` : r.batch,
    'mapping spans/s': r.mappingSpansPerSec.toLocaleString('en-US'),
    'export spans/s': r.exportSpansPerSec.toLocaleString('en-US'),
    'raw insert spans/s': r.rawInsertSpansPerSec.toLocaleString('en-US'),
    'export / raw': r.ratio,
  }));
  process.stdout.write(`exporter throughput, ${count.toLocaleString('en-US')} inference spans, embedded store\n`);
  for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
}
