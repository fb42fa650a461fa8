import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { context, type Attributes, type AttributeValue } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import * as A from '@slm-audit/semconv';
import {
  ClickHouseSpanExporter,
  ClickHouseStoreError,
  EmbeddedStore,
  INFERENCE_ATTRIBUTE_COLUMNS,
  embeddedEnginePath,
  formatAttributeValue,
  isInferenceSpan,
  type AuditStore,
  type InferenceAttributeColumn,
} from '../src/index.js';
import {
  END,
  ENGINE_PATH,
  EVENT_TIME,
  EXTRA_ATTRIBUTES,
  INFERENCE_ATTRIBUTES,
  LINK,
  PARENT,
  RESOURCE_ATTRIBUTES,
  SCOPE,
  START,
  exportSpans,
  makeSpans,
  nanos,
  uniqueDatabase,
  type SpanSet,
} from './helpers.js';

type Row = Record<string, unknown>;

function toArrayString(items: string[]): string {
  return `[${items.map((i) => `'${i}'`).join(',')}]`;
}

function stringMap(attrs: Attributes): Record<string, string> {
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, formatAttributeValue(v)]));
}

/** What ClickHouse returns (JSON, 64-bit integers quoted) for an attribute stored in a typed column. */
function expectedColumnValue(col: InferenceAttributeColumn, v: AttributeValue): unknown {
  switch (col.kind) {
    case 'string':
      return formatAttributeValue(v);
    case 'int':
      return String(v);
    case 'uint':
      return col.type.includes('UInt64') ? String(v) : v;
    default:
      return v;
  }
}

/** The column's value when the span does not have the attribute. */
function defaultColumnValue(col: InferenceAttributeColumn): unknown {
  if (col.nullable) return null;
  switch (col.kind) {
    case 'string':
      return '';
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
    case 'bool':
      return false;
    case 'strings':
      return [];
    default:
      throw new Error(`no default for ${col.name}`);
  }
}

const TRACE_QUERY = `SELECT *, toString(toUnixTimestamp64Nano(Timestamp)) AS ns,
  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS event_ns
  FROM otel_traces WHERE SpanId = {id:String}`;
const INFERENCE_QUERY = `SELECT *, toString(toUnixTimestamp64Nano(timestamp)) AS ns FROM slm_inferences WHERE span_id = {id:String}`;

describe('ClickHouseSpanExporter', () => {
  let store: EmbeddedStore;
  let database: string;
  let spans: SpanSet;

  before(async () => {
    database = uniqueDatabase('exporter');
    store = await EmbeddedStore.open({ path: ENGINE_PATH, database });
    spans = makeSpans();
    const exporter = new ClickHouseSpanExporter({ store });
    const result = await exportSpans(exporter, spans.all);
    expect(result.code, result.error?.message).to.equal(ExportResultCode.SUCCESS);
    await exporter.shutdown();
  });

  after(async () => {
    await store.exec(`DROP DATABASE IF EXISTS ${database}`);
    await store.close();
  });

  async function traceRow(span: ReadableSpan): Promise<Row> {
    const rows = await store.query<Row>(TRACE_QUERY, { id: span.spanContext().spanId });
    expect(rows).to.have.length(1);
    return rows[0]!;
  }

  async function inferenceRows(span: ReadableSpan): Promise<Row[]> {
    return store.query<Row>(INFERENCE_QUERY, { id: span.spanContext().spanId });
  }

  describe('otel_traces', () => {
    it('holds every field of a span exactly, in the collector conventions', async () => {
      const span = spans.full;
      const row = await traceRow(span);
      expect(row.ns).to.equal(nanos(START));
      expect(row.TraceId).to.equal(PARENT.traceId);
      expect(row.SpanId).to.equal(span.spanContext().spanId).and.match(/^[0-9a-f]{16}$/);
      expect(row.ParentSpanId).to.equal(PARENT.spanId);
      expect(row.TraceState).to.equal(span.spanContext().traceState!.serialize()).and.equal(PARENT.traceState);
      expect(row.SpanName).to.equal('chat qwen2.5-0.5b-instruct');
      expect(row.SpanKind).to.equal('Client');
      expect(row.ServiceName).to.equal('support-bot');
      expect(row.ResourceAttributes).to.deep.equal(stringMap(RESOURCE_ATTRIBUTES));
      expect(row.ScopeName).to.equal(SCOPE.name);
      expect(row.ScopeVersion).to.equal(SCOPE.version);
      expect(row.SpanAttributes).to.deep.equal(stringMap({ ...INFERENCE_ATTRIBUTES, ...EXTRA_ATTRIBUTES }));
      expect(row.Duration).to.equal((BigInt(nanos(END)) - BigInt(nanos(START))).toString());
      expect(row.StatusCode).to.equal('Error');
      expect(row.StatusMessage).to.equal('model "timed" out');
      expect(row.event_ns).to.deep.equal([nanos(EVENT_TIME), nanos(END)]);
      expect(row['Events.Name']).to.deep.equal(['gen_ai.first_token', 'exception']);
      expect(row['Events.Attributes']).to.deep.equal([{ 'event.index': '0', 'event.note': 'ok "q"' }, { 'exception.message': 'boom' }]);
      expect(row['Links.TraceId']).to.deep.equal([LINK.traceId]);
      expect(row['Links.SpanId']).to.deep.equal([LINK.spanId]);
      expect(row['Links.TraceState']).to.deep.equal([LINK.traceState]);
      expect(row['Links.Attributes']).to.deep.equal([{ 'link.reason': 'retry', 'link.n': '2' }]);
    });

    it('stringifies attribute values as the collector does (arrays as JSON)', async () => {
      const attrs = ((await traceRow(spans.full)).SpanAttributes ?? {}) as Record<string, string>;
      expect(attrs[A.ATTR_GEN_AI_REQUEST_TEMPERATURE]).to.equal('0.7');
      expect(attrs[A.ATTR_GEN_AI_REQUEST_STREAM]).to.equal('true');
      expect(attrs[A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.equal('["stop","length"]');
      expect(attrs['app.numbers']).to.equal('[1,2.5,-3]');
      expect(attrs['app.flag']).to.equal('false');
      expect(attrs['app.request_id']).to.equal("r-1'; DROP TABLE otel_traces; --");
    });

    it('writes a row for every span, inference or not, with empty values for what a span lacks', async () => {
      const row = await traceRow(spans.plain);
      expect(row.SpanKind).to.equal('Server');
      expect(row.StatusCode).to.equal('Unset');
      expect(row.StatusMessage).to.equal('');
      expect(row.ParentSpanId).to.equal('');
      expect(row.TraceState).to.equal('');
      expect(row.Duration).to.equal('1');
      expect(row.SpanAttributes).to.deep.equal({ 'http.route': '/health' });
      expect(row['Events.Name']).to.deep.equal([]);
      expect(row['Links.TraceId']).to.deep.equal([]);
      expect((await traceRow(spans.minimal)).StatusCode).to.equal('Ok');
      expect((await traceRow(spans.minimal)).SpanKind).to.equal('Internal');
    });

    it('feeds the trace-id lookup table', async () => {
      const rows = await store.query<{ s: string; e: string }>(
        'SELECT toString(toUnixTimestamp(min(Start))) AS s, toString(toUnixTimestamp(max(End))) AS e FROM otel_traces_trace_id_ts WHERE TraceId = {t:String}',
        { t: PARENT.traceId },
      );
      expect(rows).to.deep.equal([{ s: String(START[0]), e: String(START[0]) }]);
    });
  });

  describe('slm_inferences', () => {
    it('writes rows only for spans with gen_ai.operation.name', async () => {
      expect(await inferenceRows(spans.plain)).to.have.length(0);
      expect(await inferenceRows(spans.full)).to.have.length(1);
      const [n] = await store.query<{ n: string }>('SELECT count() AS n FROM slm_inferences');
      expect(n!.n).to.equal('3');
    });

    it('holds what the span said in every column', async () => {
      const span = spans.full;
      const [row] = await inferenceRows(span);
      expect(row!.ns).to.equal(nanos(START));
      expect(row!.duration_ns).to.equal((BigInt(nanos(END)) - BigInt(nanos(START))).toString());
      expect(row!.trace_id).to.equal(PARENT.traceId);
      expect(row!.span_id).to.equal(span.spanContext().spanId);
      expect(row!.parent_span_id).to.equal(PARENT.spanId);
      expect(row!.span_name).to.equal(span.name);
      expect(row!.span_kind).to.equal('Client');
      expect(row!.status_code).to.equal('Error');
      expect(row!.status_message).to.equal('model "timed" out');
      expect(row!.scope_name).to.equal(SCOPE.name);
      expect(row!.scope_version).to.equal(SCOPE.version);
      for (const col of INFERENCE_ATTRIBUTE_COLUMNS) {
        const source = col.from === 'resource' ? RESOURCE_ATTRIBUTES : INFERENCE_ATTRIBUTES;
        const value = source[col.attribute];
        expect(value, `test fixture lacks ${col.attribute}`).to.not.equal(undefined);
        expect(row![col.name], col.name).to.deep.equal(expectedColumnValue(col, value!));
      }
      // Only attributes without a column are left in the map; the resource map is whole.
      expect(row!.span_attributes).to.deep.equal(stringMap(EXTRA_ATTRIBUTES));
      expect(row!.resource_attributes).to.deep.equal(stringMap(RESOURCE_ATTRIBUTES));
      const spanColumns = 11;
      expect(Object.keys(row!)).to.have.length(spanColumns + INFERENCE_ATTRIBUTE_COLUMNS.length + 2 + 1);
    });

    it('keeps content fields byte for byte', async () => {
      const [row] = await store.query<{ i: string; o: string; s: string }>(
        'SELECT input_messages AS i, output_messages AS o, system_instructions AS s FROM slm_inferences WHERE span_id = {id:String}',
        { id: spans.full.spanContext().spanId },
      );
      expect(row).to.deep.equal({
        i: INFERENCE_ATTRIBUTES[A.ATTR_GEN_AI_INPUT_MESSAGES],
        o: INFERENCE_ATTRIBUTES[A.ATTR_GEN_AI_OUTPUT_MESSAGES],
        s: INFERENCE_ATTRIBUTES[A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS],
      });
    });

    it('leaves NULL or the empty default where an attribute is absent', async () => {
      const [row] = await inferenceRows(spans.minimal);
      expect(row!.operation_name).to.equal('embeddings');
      expect(row!.duration_ns).to.equal('1');
      for (const col of INFERENCE_ATTRIBUTE_COLUMNS) {
        if (col.from === 'resource' || col.attribute === A.ATTR_GEN_AI_OPERATION_NAME) continue;
        expect(row![col.name], col.name).to.deep.equal(defaultColumnValue(col));
      }
      expect(row!.span_attributes).to.deep.equal({});
    });

    it('keeps values of the wrong type in span_attributes and leaves their columns at the default', async () => {
      const [row] = await inferenceRows(spans.misfit);
      expect(row!.request_temperature).to.equal(null);
      expect(row!.usage_input_tokens).to.equal(null);
      expect(row!.request_max_tokens).to.equal(null);
      expect(row!.server_port).to.equal(null);
      expect(row!.record_id).to.equal('00000000-0000-0000-0000-000000000000');
      expect(row!.input_truncated).to.equal(false);
      expect(row!.response_finish_reasons).to.deep.equal([]);
      // A number is a fine string: the provider's error code may be an HTTP status.
      expect(row!.error_code).to.equal('429');
      expect(row!.span_attributes).to.deep.equal({
        [A.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 'hot',
        [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: '-1',
        [A.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: '2.5',
        [A.ATTR_SERVER_PORT]: '70000',
        [A.ATTR_AUDIT_RECORD_ID]: 'not-a-uuid',
        [A.ATTR_AUDIT_INPUT_TRUNCATED]: 'yes',
        [A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: 'stop',
      });
    });
  });

  describe('awkward values', () => {
    it('stores lone surrogates as U+FFFD and non-finite numbers as text instead of failing the batch', async () => {
      const finished: ReadableSpan[] = [];
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ [A.ATTR_SERVICE_NAME]: 'odd\ud800', 'res.nan': Number.NaN }),
        spanProcessors: [{ onStart() {}, onEnd: (s: ReadableSpan) => finished.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
      });
      const tracer = provider.getTracer('t');
      const span = tracer.startSpan('odd \udc00 name', {
        attributes: {
          [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
          [A.ATTR_GEN_AI_REQUEST_MODEL]: 'm\ud800',
          [A.ATTR_AUDIT_CONFIDENCE_PERPLEXITY]: Number.POSITIVE_INFINITY,
          'app.nan': Number.NaN,
          'app.text': 'pair 😀 ok',
        },
      });
      span.addEvent('e', { 'e.nan': Number.NaN });
      span.end();
      await provider.shutdown();
      const exporter = new ClickHouseSpanExporter({ store });
      const result = await exportSpans(exporter, finished);
      expect(result.code, result.error?.message).to.equal(ExportResultCode.SUCCESS);
      const trace = await traceRow(finished[0]!);
      expect(trace.SpanName).to.equal('odd \ufffd name');
      expect(trace.ServiceName).to.equal('odd\ufffd');
      expect(trace.ResourceAttributes).to.deep.include({ 'res.nan': 'NaN' });
      expect(trace.SpanAttributes).to.deep.include({ 'app.nan': 'NaN', [A.ATTR_AUDIT_CONFIDENCE_PERPLEXITY]: '+Inf', 'app.text': 'pair 😀 ok' });
      expect(trace['Events.Attributes']).to.deep.equal([{ 'e.nan': 'NaN' }]);
      const [row] = await inferenceRows(finished[0]!);
      expect(row!.request_model).to.equal('m\ufffd');
      expect(row!.confidence_perplexity).to.equal(null);
      expect(row!.span_attributes).to.deep.equal({ 'app.nan': 'NaN', 'app.text': 'pair 😀 ok', [A.ATTR_AUDIT_CONFIDENCE_PERPLEXITY]: '+Inf' });
    });
  });

  describe('failures and lifecycle', () => {
    it('reports FAILED, without throwing, when the store is closed', async () => {
      const db = uniqueDatabase('exp_closed');
      const own = await EmbeddedStore.open({ path: ENGINE_PATH, database: db });
      const exporter = new ClickHouseSpanExporter({ store: own });
      expect((await exportSpans(exporter, [spans.plain])).code).to.equal(ExportResultCode.SUCCESS);
      await own.exec(`DROP DATABASE ${db}`);
      await own.close();
      const result = await exportSpans(exporter, [spans.plain]);
      expect(result.code).to.equal(ExportResultCode.FAILED);
      expect(result.error).to.be.instanceOf(ClickHouseStoreError);
      expect((result.error as ClickHouseStoreError).reason).to.equal('closed');
    });

    it('reports FAILED with the ClickHouse error when a table is gone and schema creation is off', async () => {
      const db = uniqueDatabase('exp_dropped');
      const own = await EmbeddedStore.open({ path: ENGINE_PATH, database: db });
      try {
        const exporter = new ClickHouseSpanExporter({ store: own, createSchema: false });
        const result = await exportSpans(exporter, [spans.full]);
        expect(result.code).to.equal(ExportResultCode.FAILED);
        expect((result.error as ClickHouseStoreError).code).to.equal(60);
        expect((result.error as ClickHouseStoreError).type).to.equal('UNKNOWN_TABLE');
      } finally {
        await own.exec(`DROP DATABASE ${db}`);
        await own.close();
      }
    });

    it('fails exports after shutdown and never throws from export', async () => {
      const exporter = new ClickHouseSpanExporter({ store });
      await exporter.shutdown();
      await exporter.shutdown();
      let result: { code: number; error?: Error } | undefined;
      expect(() => exporter.export([spans.plain], (r) => (result = r))).to.not.throw();
      expect(result?.code).to.equal(ExportResultCode.FAILED);
      expect(result?.error?.message).to.match(/shut down/);
      // The store was given, not opened, so it is still usable.
      expect(await store.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    });

    it('reports SUCCESS for an empty batch', async () => {
      const exporter = new ClickHouseSpanExporter({ store, createSchema: false });
      expect((await exportSpans(exporter, [])).code).to.equal(ExportResultCode.SUCCESS);
    });

    it('waits for pending exports on forceFlush and shutdown, then closes a store it opened', async () => {
      const db = uniqueDatabase('exp_owned');
      const exporter = new ClickHouseSpanExporter({ storeOptions: { path: ENGINE_PATH, database: db } });
      const results: number[] = [];
      for (let i = 0; i < 3; i++) exporter.export([spans.full, spans.plain], (r) => results.push(r.code));
      await exporter.forceFlush();
      expect(results).to.deep.equal([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
      exporter.export([spans.minimal], (r) => results.push(r.code));
      await exporter.shutdown();
      expect(results).to.have.length(4);
      expect(results[3]).to.equal(ExportResultCode.SUCCESS);
      const [n] = await store.query<{ t: string; i: string }>(
        `SELECT (SELECT count() FROM ${db}.otel_traces) AS t, (SELECT count() FROM ${db}.slm_inferences) AS i`,
      );
      expect(n).to.deep.equal({ t: '7', i: '4' });
      await store.exec(`DROP DATABASE ${db}`);
      expect(embeddedEnginePath()).to.equal(store.path);
    });

    it('writes to another database when given one', async () => {
      const db = uniqueDatabase('exp_otherdb');
      const exporter = new ClickHouseSpanExporter({ store, database: db });
      expect((await exportSpans(exporter, [spans.full])).code).to.equal(ExportResultCode.SUCCESS);
      const [n] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.slm_inferences`);
      expect(n!.n).to.equal('1');
      await store.exec(`DROP DATABASE ${db}`);
    });

    it('splits a batch larger than maxSpansPerInsert into chunks and reports SUCCESS once every row is readable', async () => {
      const db = uniqueDatabase('exp_chunks');
      const exporter = new ClickHouseSpanExporter({ store, database: db, maxSpansPerInsert: 1, schema: { collectorIndexes: true } });
      const result = await exportSpans(exporter, spans.all);
      expect(result.code, result.error?.message).to.equal(ExportResultCode.SUCCESS);
      const [n] = await store.query<{ t: string; i: string; ids: string }>(
        `SELECT (SELECT count() FROM ${db}.otel_traces) AS t, (SELECT count() FROM ${db}.slm_inferences) AS i,
           (SELECT toString(arraySort(groupArray(SpanId))) FROM ${db}.otel_traces) AS ids`,
      );
      expect(spans.all.length).to.be.greaterThan(2);
      expect({ t: n!.t, i: n!.i }).to.deep.equal({ t: String(spans.all.length), i: String(spans.all.filter(isInferenceSpan).length) });
      expect(n!.ids).to.equal(toArrayString(spans.all.map((s) => s.spanContext().spanId).sort()));
      // The schema options reach ensureSchema: the collector's attribute-map indexes exist.
      const [idx] = await store.query<{ n: string }>(
        "SELECT count() AS n FROM system.data_skipping_indices WHERE database = {db:String} AND table = 'otel_traces' AND name LIKE 'idx_%attr%'",
        { db },
      );
      expect(idx!.n).to.equal('4');
      await exporter.shutdown();
      await store.exec(`DROP DATABASE ${db}`);
      expect(() => new ClickHouseSpanExporter({ store, maxSpansPerInsert: 0 })).to.throw(TypeError);
    });

    it('exports with tracing suppressed, and forceFlush waits for inserts still running', async () => {
      const manager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(manager);
      try {
        const releases: (() => void)[] = [];
        const seen: boolean[] = [];
        const slow: AuditStore = {
          kind: 'embedded',
          database: 'fake',
          exec: async () => {},
          query: async <T>() => [] as T[],
          queryTable: async () => ({ columns: [], rows: [] }),
          insert: (_table: string) => {
            seen.push(isTracingSuppressed(context.active()));
            return new Promise<void>((resolve) => releases.push(resolve));
          },
          close: async () => {},
        };
        const exporter = new ClickHouseSpanExporter({ store: slow, createSchema: false });
        const results: number[] = [];
        exporter.export([spans.full], (r) => results.push(r.code));
        let flushed = false;
        const flushing = exporter.forceFlush().then(() => (flushed = true));
        await new Promise((r) => setTimeout(r, 20));
        expect(flushed).to.equal(false);
        expect(seen).to.deep.equal([true, true]);
        for (const release of releases) release();
        await flushing;
        expect(results).to.deep.equal([ExportResultCode.SUCCESS]);
      } finally {
        context.disable();
        manager.disable();
      }
    });

    it('requires a store or store options, and a plain database name', () => {
      expect(() => new ClickHouseSpanExporter({})).to.throw(TypeError);
      expect(() => new ClickHouseSpanExporter({ store, database: 'x; DROP' })).to.throw(TypeError);
    });

    it('works behind a BatchSpanProcessor', async () => {
      const db = uniqueDatabase('exp_batch');
      const exporter = new ClickHouseSpanExporter({ storeOptions: { path: ENGINE_PATH, database: db } });
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ [A.ATTR_SERVICE_NAME]: 'batch-svc' }),
        spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 64, scheduledDelayMillis: 10 })],
      });
      const tracer = provider.getTracer('t');
      for (let i = 0; i < 200; i++) {
        tracer.startSpan(`chat m${i % 3}`, { attributes: { [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat', [A.ATTR_GEN_AI_REQUEST_MODEL]: `m${i % 3}` } }).end();
      }
      await provider.forceFlush();
      // BatchSpanProcessor.forceFlush does not wait for an export its timer already
      // started; the exporter's own forceFlush does.
      await exporter.forceFlush();
      const rows = await store.query<{ m: string; n: string }>(
        `SELECT request_model AS m, toString(count()) AS n FROM ${db}.slm_inferences WHERE service_name = 'batch-svc' GROUP BY m ORDER BY m`,
      );
      expect(rows).to.deep.equal([
        { m: 'm0', n: '67' },
        { m: 'm1', n: '67' },
        { m: 'm2', n: '66' },
      ]);
      await provider.shutdown();
      await store.exec(`DROP DATABASE ${db}`);
    });
  });
});

describe('embedded engine: one data directory per process', () => {
  it('shares one engine between stores on the same path and refuses a second path', async () => {
    const a = await EmbeddedStore.open({ path: ENGINE_PATH, database: 'default' });
    const b = await EmbeddedStore.open({ path: `${ENGINE_PATH}/../${ENGINE_PATH.split('/').pop()}`, database: 'default' });
    const db = uniqueDatabase('shared');
    await a.exec(`CREATE DATABASE ${db}`);
    const [seen] = await b.query<{ n: string }>('SELECT count() AS n FROM system.databases WHERE name = {db:String}', { db });
    expect(seen!.n).to.equal('1');
    await b.exec(`DROP DATABASE ${db}`);
    const err = (await EmbeddedStore.open({ path: `${ENGINE_PATH}-other` }).catch((e: unknown) => e)) as ClickHouseStoreError;
    expect(err).to.be.instanceOf(ClickHouseStoreError);
    expect(err.reason).to.equal('path_conflict');
    expect(err.message).to.contain(ENGINE_PATH);
    await a.close();
    await b.close();
  });

  it('moves to another directory once every store on the first has closed', async function () {
    // Only meaningful when nothing else in this process holds the engine.
    if (embeddedEnginePath() !== undefined) this.skip();
    const second = `${ENGINE_PATH}-second`;
    try {
      const s = await EmbeddedStore.open({ path: second, database: 'moved' });
      expect(embeddedEnginePath()).to.equal(s.path);
      expect(await s.query('SELECT currentDatabase() AS d')).to.deep.equal([{ d: 'moved' }]);
      await s.close();
      const back = await EmbeddedStore.open({ path: ENGINE_PATH, database: 'default' });
      expect(embeddedEnginePath()).to.equal(back.path);
      await back.close();
    } finally {
      rmSync(second, { recursive: true, force: true });
    }
  });

  it('says which process holds a directory another process has open', async function () {
    // Opening a second directory here needs the engine free in this process.
    if (embeddedEnginePath() !== undefined) this.skip();
    const dir = `${ENGINE_PATH}-held`;
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { Session } from 'chdb'; new Session(${JSON.stringify(dir)}); process.stdout.write('ready'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        holder.once('exit', () => reject(new Error('holder exited')));
      });
      const err = (await EmbeddedStore.open({ path: dir }).catch((e: unknown) => e)) as ClickHouseStoreError;
      expect(err).to.be.instanceOf(ClickHouseStoreError);
      expect(err.reason).to.equal('locked');
      expect(err.code).to.equal(76);
      expect(err.message).to.contain(`pid ${holder.pid}`).and.contain('Cannot lock file');
      expect(embeddedEnginePath()).to.equal(undefined);
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps each store on its own connection, with its own current database', async () => {
    const dbA = uniqueDatabase('conn_a');
    const dbB = uniqueDatabase('conn_b');
    const a: AuditStore = await EmbeddedStore.open({ path: ENGINE_PATH, database: dbA });
    const b: AuditStore = await EmbeddedStore.open({ path: ENGINE_PATH, database: dbB });
    const [ra] = await a.query<{ d: string }>('SELECT currentDatabase() AS d');
    const [rb] = await b.query<{ d: string }>('SELECT currentDatabase() AS d');
    expect([ra!.d, rb!.d]).to.deep.equal([dbA, dbB]);
    await a.exec(`DROP DATABASE ${dbA}`);
    await b.exec(`DROP DATABASE ${dbB}`);
    await a.close();
    await b.close();
  });
});
