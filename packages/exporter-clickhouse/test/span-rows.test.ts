import { expect } from 'chai';
import * as A from '@slm-audit/semconv';
import {
  SPAN_KIND_NAMES,
  STATUS_CODE_NAMES,
  formatAttributeValue,
  hrTimeDiffNanos,
  hrTimeToDateTime64,
  isInferenceSpan,
  jsonString,
  spanToRows,
  spansToRows,
  type SpanRecord,
} from '../src/index.js';
import { makeSpans } from './helpers.js';

function record(overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    name: 'n',
    kind: 0,
    spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }),
    startTime: [1767323045, 5],
    endTime: [1767323045, 10],
    status: { code: 0 },
    attributes: {},
    links: [],
    events: [],
    resource: { attributes: { 'service.name': 's' } },
    instrumentationScope: { name: 'scope' },
    ...overrides,
  };
}

describe('span rows', () => {
  it('writes DateTime64(9) text exactly, zero-padded and clamped to the type’s range', () => {
    expect(hrTimeToDateTime64([1767323045, 123456789])).to.equal('1767323045.123456789');
    expect(hrTimeToDateTime64([1767323045, 5])).to.equal('1767323045.000000005');
    expect(hrTimeToDateTime64([5, 0])).to.equal('0000000005.000000000');
    // A span ended with NaN must not fail its batch: the epoch, and no duration.
    expect(hrTimeToDateTime64([NaN, NaN])).to.equal('0000000000.000000000');
    expect(hrTimeToDateTime64([1767323045, NaN])).to.equal('0000000000.000000000');
    expect(hrTimeDiffNanos([1767323045, 0], [NaN, NaN])).to.equal('0');
    expect(hrTimeDiffNanos([NaN, 0], [1767323045, 0])).to.equal('0');
    expect(hrTimeToDateTime64([1767323045, 1_000_000_001])).to.equal('1767323046.000000001');
    expect(hrTimeToDateTime64([-1, 0])).to.equal('0000000000.000000000');
    expect(hrTimeToDateTime64([99_999_999_999, 0])).to.equal('9223372036.854775807');
  });

  it('computes durations in whole nanoseconds without float loss', () => {
    expect(hrTimeDiffNanos([1767323045, 999999999], [1767323046, 1])).to.equal('2');
    expect(hrTimeDiffNanos([1767323045, 5], [1767323045, 5])).to.equal('0');
    expect(hrTimeDiffNanos([1767323046, 0], [1767323045, 0])).to.equal('0');
    // 200 days: beyond 2^53 ns, computed with BigInt.
    expect(hrTimeDiffNanos([0, 1], [17_280_000, 2])).to.equal('17280000000000001');
  });

  it('stringifies attribute values like the collector', () => {
    expect(formatAttributeValue('x')).to.equal('x');
    expect(formatAttributeValue(42)).to.equal('42');
    expect(formatAttributeValue(0.1)).to.equal('0.1');
    expect(formatAttributeValue(1e21)).to.equal('1e+21');
    expect(formatAttributeValue(1e-7)).to.equal('1e-7');
    expect(formatAttributeValue(Number.NaN)).to.equal('NaN');
    expect(formatAttributeValue(Number.POSITIVE_INFINITY)).to.equal('+Inf');
    expect(formatAttributeValue(true)).to.equal('true');
    expect(formatAttributeValue(['a', 'b"c'])).to.equal('["a","b\\"c"]');
    expect(formatAttributeValue([1, null, 3])).to.equal('[1,null,3]');
    expect(formatAttributeValue(new Uint8Array([1, 2, 255]))).to.equal('AQL/');
    expect(formatAttributeValue({ k: 'v' })).to.equal('{"k":"v"}');
  });

  it('escapes JSON strings and makes lone surrogates well-formed (ClickHouse rejects them)', () => {
    expect(jsonString('plain')).to.equal('"plain"');
    expect(jsonString('a"b\\c\n\u0001')).to.equal(JSON.stringify('a"b\\c\n\u0001'));
    expect(jsonString('😀')).to.equal('"😀"');
    expect(JSON.parse(jsonString('x\ud800y\udc00'))).to.equal('x\ufffdy\ufffd');
    expect(JSON.parse(jsonString('\ud83d\ude00\ud83d'))).to.equal('😀\ufffd');
    // Text that merely looks like an escape is left alone.
    expect(JSON.parse(jsonString('C:\\ud800\\\\ud83d'))).to.equal('C:\\ud800\\\\ud83d');
  });

  it('names kinds and status codes as the collector does', () => {
    expect(SPAN_KIND_NAMES).to.deep.equal(['Internal', 'Server', 'Client', 'Producer', 'Consumer']);
    expect(STATUS_CODE_NAMES).to.deep.equal(['Unset', 'Ok', 'Error']);
    expect(JSON.parse(spanToRows(record({ kind: 9 })).trace).SpanKind).to.equal('Unspecified');
  });

  it('makes valid JSON for every span and inference rows only for inference spans', () => {
    const spans = makeSpans();
    const rows = spansToRows(spans.all);
    expect(rows.traceCount).to.equal(4);
    expect(rows.inferenceCount).to.equal(3);
    const traces = rows.traces.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const inferences = rows.inferences.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(traces.map((t) => t.SpanName)).to.deep.equal(spans.all.map((s) => s.name));
    expect(inferences.map((r) => r.span_name)).to.deep.equal([spans.full.name, spans.minimal.name, spans.misfit.name]);
    expect(isInferenceSpan(spans.plain)).to.equal(false);
    expect(isInferenceSpan(spans.full)).to.equal(true);
    const empty = spansToRows([]);
    expect([empty.traces.length, empty.inferences.length, empty.traceCount, empty.inferenceCount]).to.deep.equal([0, 0, 0, 0]);
  });

  it('writes only the columns a span has, so ClickHouse fills in the defaults', () => {
    const row = JSON.parse(spanToRows(record({ attributes: { [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat' } })).inference!);
    expect(Object.keys(row)).to.deep.equal([
      'timestamp', 'duration_ns', 'trace_id', 'span_id', 'parent_span_id', 'span_name', 'span_kind', 'status_code',
      'status_message', 'scope_name', 'scope_version', 'service_name', 'operation_name', 'span_attributes', 'resource_attributes',
    ]);
  });

  it('maps all-zero ids to empty strings and reads SDK 1.x parent ids', () => {
    const zero = JSON.parse(
      spanToRows(record({ spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }), parentSpanId: '0'.repeat(16) })).trace,
    );
    expect([zero.TraceId, zero.SpanId, zero.ParentSpanId]).to.deep.equal(['', '', '']);
    expect(JSON.parse(spanToRows(record({ parentSpanId: 'b7ad6b7169203332' })).trace).ParentSpanId).to.equal('b7ad6b7169203332');
  });

  it('does not let one span’s typed values leak into the next', () => {
    const a = record({ attributes: { [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat', [A.ATTR_GEN_AI_REQUEST_MODEL]: 'm1' } });
    const b = record({ attributes: { [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat' } });
    const [ra, rb] = spansToRows([a, b]).inferences.toString().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(ra.request_model).to.equal('m1');
    expect(rb).to.not.have.property('request_model');
  });

  it('recomputes resource JSON for a resource whose attributes are still being detected', () => {
    const resource = { attributes: { 'service.name': 'early' } as Record<string, string>, asyncAttributesPending: true };
    const first = JSON.parse(spanToRows(record({ resource })).trace);
    resource.attributes = { 'service.name': 'late' };
    resource.asyncAttributesPending = false;
    const second = JSON.parse(spanToRows(record({ resource })).trace);
    expect([first.ServiceName, second.ServiceName]).to.deep.equal(['early', 'late']);
  });
});
