import { expect } from 'chai';
import * as semconv from '@slm-audit/semconv';
import {
  EmbeddedStore,
  INFERENCE_ATTRIBUTE_COLUMNS,
  INFERENCE_MAP_COLUMNS,
  INFERENCE_SPAN_COLUMNS,
  INFERENCES_TABLE,
  INFERENCES_TABLE_COMMENT,
  SCHEMA_VERSION,
  TRACE_ID_TS_TABLE,
  TRACE_ID_TS_VIEW,
  TRACES_TABLE,
  ensureSchema,
  schemaStatements,
  supportsFullTextIndexes,
  COLLECTOR_ATTRIBUTE_INDEXES,
} from '../src/index.js';
import { ENGINE_PATH, uniqueDatabase } from './helpers.js';

/** otel_traces as the collector creates it: name → type. */
const COLLECTOR_TRACES_COLUMNS: [string, string][] = [
  ['Timestamp', 'DateTime64(9)'],
  ['TraceId', 'String'],
  ['SpanId', 'String'],
  ['ParentSpanId', 'String'],
  ['TraceState', 'String'],
  ['SpanName', 'LowCardinality(String)'],
  ['SpanKind', 'LowCardinality(String)'],
  ['ServiceName', 'LowCardinality(String)'],
  ['ResourceAttributes', 'Map(LowCardinality(String), String)'],
  ['ScopeName', 'String'],
  ['ScopeVersion', 'String'],
  ['SpanAttributes', 'Map(LowCardinality(String), String)'],
  ['Duration', 'UInt64'],
  ['StatusCode', 'LowCardinality(String)'],
  ['StatusMessage', 'String'],
  ['Events.Timestamp', 'Array(DateTime64(9))'],
  ['Events.Name', 'Array(LowCardinality(String))'],
  ['Events.Attributes', 'Array(Map(LowCardinality(String), String))'],
  ['Links.TraceId', 'Array(String)'],
  ['Links.SpanId', 'Array(String)'],
  ['Links.TraceState', 'Array(String)'],
  ['Links.Attributes', 'Array(Map(LowCardinality(String), String))'],
  ['ResourceAttributeItems', 'Array(String)'],
  ['SpanAttributeItems', 'Array(String)'],
];

describe('schema', () => {
  let store: EmbeddedStore;
  let database: string;

  before(async () => {
    database = uniqueDatabase('schema');
    store = await EmbeddedStore.open({ path: ENGINE_PATH, database });
  });

  after(async () => {
    await store.exec(`DROP DATABASE IF EXISTS ${database}`);
    await store.close();
  });

  it('creates the tables, and running it again changes nothing', async () => {
    await ensureSchema(store);
    const before = await store.query<{ name: string; q: string }>(
      'SELECT name, create_table_query AS q FROM system.tables WHERE database = {db:String} ORDER BY name',
      { db: database },
    );
    await ensureSchema(store);
    await ensureSchema(store, { database });
    const after = await store.query('SELECT name, create_table_query AS q FROM system.tables WHERE database = {db:String} ORDER BY name', {
      db: database,
    });
    expect(after).to.deep.equal(before);
    expect(before.map((t) => t.name)).to.deep.equal([TRACES_TABLE, TRACE_ID_TS_TABLE, TRACE_ID_TS_VIEW, INFERENCES_TABLE].sort());
  });

  it('lays out otel_traces exactly as the collector does', async () => {
    const cols = await store.query<{ name: string; type: string }>(
      'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
      { db: database, t: TRACES_TABLE },
    );
    expect(cols.map((c) => [c.name, c.type])).to.deep.equal(COLLECTOR_TRACES_COLUMNS);
    const [t] = await store.query<{ sorting_key: string; primary_key: string; partition_key: string; engine: string }>(
      'SELECT sorting_key, primary_key, partition_key, engine FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      { db: database, t: TRACES_TABLE },
    );
    expect(t).to.deep.equal({
      sorting_key: 'ServiceName, SpanName, toDateTime(Timestamp), Timestamp',
      primary_key: 'ServiceName, SpanName, toDateTime(Timestamp)',
      partition_key: 'toDate(Timestamp)',
      engine: 'MergeTree',
    });
  });

  async function tracesIndexes(db: string): Promise<string[]> {
    const indexes = await store.query<{ name: string; type: string }>(
      'SELECT name, type FROM system.data_skipping_indices WHERE database = {db:String} AND table = {t:String} ORDER BY name',
      { db, t: TRACES_TABLE },
    );
    return indexes.map((i) => `${i.name}:${i.type}`);
  }

  const COLLECTOR_BLOOM_INDEXES = [
    'idx_duration:minmax',
    'idx_lower_span_name:tokenbf_v1',
    'idx_res_attr_key:bloom_filter',
    'idx_res_attr_value:bloom_filter',
    'idx_span_attr_key:bloom_filter',
    'idx_span_attr_value:bloom_filter',
    'idx_trace_id:bloom_filter',
  ];
  const COLLECTOR_TEXT_INDEXES = [
    'idx_duration:minmax',
    'idx_lower_span_name:tokenbf_v1',
    'idx_res_attr_items:text',
    'idx_res_attr_key:text',
    'idx_span_attr_items:text',
    'idx_span_attr_key:text',
    'idx_trace_id:text',
  ];

  it('creates the collector’s trace-id, duration and span-name indexes by default, without the attribute-map ones', async () => {
    expect(await tracesIndexes(database)).to.deep.equal(['idx_duration:minmax', 'idx_lower_span_name:tokenbf_v1', 'idx_trace_id:bloom_filter']);
    expect(COLLECTOR_ATTRIBUTE_INDEXES.bloom.every((name) => COLLECTOR_BLOOM_INDEXES.some((i) => i.startsWith(`${name}:`)))).to.equal(true);
    expect(COLLECTOR_ATTRIBUTE_INDEXES.text.every((name) => COLLECTOR_TEXT_INDEXES.some((i) => i.startsWith(`${name}:`)))).to.equal(true);
  });

  it('creates the collector’s full bloom-filter index set with collectorIndexes', async () => {
    const other = uniqueDatabase('schema_collector');
    try {
      await ensureSchema(store, { database: other, collectorIndexes: true });
      expect(await tracesIndexes(other)).to.deep.equal(COLLECTOR_BLOOM_INDEXES);
      // The columns do not depend on the index set.
      const columns = await store.query<{ name: string; type: string }>(
        'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
        { db: other, t: TRACES_TABLE },
      );
      expect(columns.map((c) => [c.name, c.type])).to.deep.equal(COLLECTOR_TRACES_COLUMNS);
    } finally {
      await store.exec(`DROP DATABASE IF EXISTS ${other}`);
    }
  });

  it('creates the collector’s text indexes when asked, or by server version with auto, in both index modes', async () => {
    expect(supportsFullTextIndexes('26.7.2.1')).to.equal(true);
    expect(supportsFullTextIndexes('26.2.1.1')).to.equal(true);
    expect(supportsFullTextIndexes('26.1.9.1')).to.equal(false);
    expect(supportsFullTextIndexes('25.12.1.1')).to.equal(false);
    expect(supportsFullTextIndexes('27.1')).to.equal(true);
    expect(supportsFullTextIndexes('garbage')).to.equal(false);
    const [v] = await store.query<{ v: string }>('SELECT version() AS v');
    for (const collectorIndexes of [false, true]) {
      for (const option of [true, 'auto'] as const) {
        const other = uniqueDatabase('schema_text');
        try {
          await ensureSchema(store, { database: other, fullTextIndexes: option, collectorIndexes });
          const text = option === true || supportsFullTextIndexes(v!.v);
          const full = text ? COLLECTOR_TEXT_INDEXES : COLLECTOR_BLOOM_INDEXES;
          const expected = collectorIndexes
            ? full
            : ['idx_duration:minmax', 'idx_lower_span_name:tokenbf_v1', text ? 'idx_trace_id:text' : 'idx_trace_id:bloom_filter'];
          expect(await tracesIndexes(other), `${String(option)}, collectorIndexes ${collectorIndexes}`).to.deep.equal(expected);
        } finally {
          await store.exec(`DROP DATABASE IF EXISTS ${other}`);
        }
      }
    }
  });

  it('emits the same DDL from schemaStatements as ensureSchema runs', () => {
    const statements = schemaStatements('somedb');
    expect(statements).to.have.length(4);
    expect(statements[0]).to.contain('CREATE TABLE IF NOT EXISTS `somedb`.`otel_traces`').and.contain('bloom_filter');
    expect(statements[0]).to.not.contain('mapValues(SpanAttributes)');
    expect(schemaStatements('somedb', { collectorIndexes: true })[0]).to.contain('INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01)');
    expect(schemaStatements('somedb', { fullTextIndexes: true })[0]).to.contain("TYPE text(tokenizer = 'array')");
    expect(schemaStatements('somedb', { fullTextIndexes: true, collectorIndexes: true })[0]).to.contain(
      "INDEX idx_span_attr_items SpanAttributeItems TYPE text(tokenizer = 'array')",
    );
    expect(() => schemaStatements('bad name')).to.throw(/Invalid database name/);
  });

  it('lays out slm_inferences from the column list, with the schema version as its comment', async () => {
    const cols = await store.query<{ name: string; type: string }>(
      'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
      { db: database, t: INFERENCES_TABLE },
    );
    const expected = [
      ...INFERENCE_SPAN_COLUMNS.map(([name, type]) => [name, type]),
      ...INFERENCE_ATTRIBUTE_COLUMNS.map((c) => [c.name, c.type]),
      ...INFERENCE_MAP_COLUMNS.map(([name, type]) => [name, type]),
    ].map(([name, type]) => [name, type!.replace(/ CODEC\(.*\)$/, '')]);
    expect(cols.map((c) => [c.name, c.type])).to.deep.equal(expected);
    const [t] = await store.query<{ comment: string; sorting_key: string; partition_key: string }>(
      'SELECT comment, sorting_key, partition_key FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      { db: database, t: INFERENCES_TABLE },
    );
    expect(t!.comment).to.equal(INFERENCES_TABLE_COMMENT);
    expect(INFERENCES_TABLE_COMMENT).to.contain(String(SCHEMA_VERSION));
    expect(t!.sorting_key).to.equal('tenant_id, request_model, toDateTime(timestamp), timestamp');
    expect(t!.partition_key).to.equal('toDate(timestamp)');
  });

  it('gives every span attribute in @slm-audit/semconv a typed column', () => {
    const covered = new Set(INFERENCE_ATTRIBUTE_COLUMNS.map((c) => c.attribute));
    // gen_ai.token.type labels metrics, never spans.
    const spanAttributes = Object.entries(semconv)
      .filter(([k, v]) => k.startsWith('ATTR_') && typeof v === 'string' && v !== semconv.ATTR_GEN_AI_TOKEN_TYPE)
      .map(([, v]) => v as string);
    expect(spanAttributes.filter((a) => !covered.has(a))).to.deep.equal([]);
    const names = INFERENCE_ATTRIBUTE_COLUMNS.map((c) => c.name);
    expect(new Set(names).size).to.equal(names.length);
  });

  it('feeds the trace-id lookup table through its materialized view', async () => {
    await store.insert(
      TRACES_TABLE,
      '{"Timestamp":"1767323045.100000000","TraceId":"aa","SpanName":"a"}\n{"Timestamp":"1767323047.900000000","TraceId":"aa","SpanName":"b"}\n{"Timestamp":"1767323047.900000000","TraceId":"","SpanName":"c"}\n',
    );
    const rows = await store.query<{ TraceId: string; s: string; e: string }>(
      `SELECT TraceId, toString(toUnixTimestamp(min(Start))) AS s, toString(toUnixTimestamp(max(End))) AS e FROM ${TRACE_ID_TS_TABLE} GROUP BY TraceId`,
    );
    expect(rows).to.deep.equal([{ TraceId: 'aa', s: '1767323045', e: '1767323047' }]);
  });

  it('creates the tables in another database when asked', async () => {
    const other = uniqueDatabase('schema_other');
    try {
      await ensureSchema(store, { database: other });
      const [n] = await store.query<{ n: string }>('SELECT count() AS n FROM system.tables WHERE database = {db:String}', { db: other });
      expect(n!.n).to.equal('4');
    } finally {
      await store.exec(`DROP DATABASE IF EXISTS ${other}`);
    }
  });
});
