/*
 * Engine-only cost of the ways to fill the audit tables, for the storage decision
 * (write both tables, or write otel_traces and let a materialized view fill
 * slm_inferences, as a collector's rows would), and the bound of writing only
 * slm_inferences (an audit-only mode). Same prebuilt rows, same process,
 * each way run twice in alternation because the machine is noisy.
 *
 *   npx tsx bench/write-paths.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore, ensureSchema, spansToRows, INFERENCE_ATTRIBUTE_COLUMNS } from '@slm-audit/exporter-clickhouse';
import { makeInferenceSpans } from './exporter-throughput.js';

const N = 98304, B = 8192;
const spans = makeInferenceSpans(N, 0.2);
const payloads = [] as { traces: Buffer; inferences: Buffer }[];
for (let i = 0; i < N; i += B) { const r = spansToRows(spans.slice(i, i + B)); payloads.push({ traces: Buffer.from(r.traces), inferences: Buffer.from(r.inferences) }); }

function expr(c: (typeof INFERENCE_ATTRIBUTE_COLUMNS)[number]): string {
  const m = c.from === 'span' ? 'SpanAttributes' : 'ResourceAttributes';
  const v = `${m}['${c.attribute}']`;
  const base = c.type.replace(/ CODEC\(.*\)$/, '');
  switch (c.kind) {
    case 'string': return v;
    case 'uuid': return `toUUIDOrZero(${v})`;
    case 'float': return `toFloat64OrNull(${v})`;
    case 'uint': return base.includes('UInt16') ? `toUInt16OrNull(${v})` : base.includes('UInt64') ? `toUInt64OrNull(${v})` : `toUInt32OrNull(${v})`;
    case 'int': return `toInt64OrNull(${v})`;
    case 'bool': return c.nullable ? `if(mapContains(${m}, '${c.attribute}'), ${v} = 'true', NULL)` : `${v} = 'true'`;
    case 'strings': return `if(${v} = '', [], JSONExtract(${v}, 'Array(String)'))`;
  }
}
const typed = INFERENCE_ATTRIBUTE_COLUMNS.filter((c) => c.from === 'span').map((c) => `'${c.attribute}'`).join(',');
const select = `SELECT Timestamp AS timestamp, Duration AS duration_ns, TraceId AS trace_id, SpanId AS span_id, ParentSpanId AS parent_span_id,
  SpanName AS span_name, SpanKind AS span_kind, StatusCode AS status_code, StatusMessage AS status_message, ScopeName AS scope_name, ScopeVersion AS scope_version,
  ${INFERENCE_ATTRIBUTE_COLUMNS.map((c) => `${expr(c)} AS ${c.name}`).join(',\n  ')},
  mapFilter((k, v) -> k NOT IN (${typed}), SpanAttributes) AS span_attributes, ResourceAttributes AS resource_attributes
  FROM x.otel_traces WHERE mapContains(SpanAttributes, 'gen_ai.operation.name')`;

const dir = mkdtempSync(join(tmpdir(), 'slm-audit-write-paths-'));
const MODES = ['two inserts (today)', 'otel_traces + MV', 'slm_inferences only (audit-only bound)'];
for (const mode of [...MODES, ...MODES]) {
  const s = await EmbeddedStore.open({ path: dir, database: 'x' });
  await ensureSchema(s);
  if (mode.includes('MV')) await s.exec(`CREATE MATERIALIZED VIEW x.inf_mv TO x.slm_inferences AS ${select}`);
  const t = performance.now();
  for (const p of payloads) {
    if (mode.includes('MV')) await s.insert('x.otel_traces', p.traces);
    else if (mode.includes('only')) await s.insert('x.slm_inferences', p.inferences);
    else await Promise.all([s.insert('x.otel_traces', p.traces), s.insert('x.slm_inferences', p.inferences)]);
  }
  const ms = performance.now() - t;
  const [row] = await s.query<{ n: string; m: string }>(`SELECT (SELECT count() FROM x.slm_inferences) AS n, (SELECT countIf(request_model != '' AND usage_input_tokens > 0) FROM x.slm_inferences) AS m`);
  console.log(mode, Math.round((N / ms) * 1000), 'spans/s (engine only)', JSON.stringify(row));
  await s.exec('DROP DATABASE x SYNC');
  await s.close();
}
rmSync(dir, { recursive: true, force: true });
