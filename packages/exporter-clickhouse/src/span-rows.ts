/*
 * Spans → JSONEachRow rows for otel_traces and slm_inferences.
 *
 * Kept apart from the exporter so anything holding spans (the SDK's ReadableSpans,
 * or spans decoded from OTLP by a collector) can produce the same rows.
 *
 * Speed: each row is one native JSON.stringify of a plain object, which yields a flat
 * string. (Concatenating hundreds of small pieces builds V8 ropes whose flattening,
 * when the text is encoded for the insert, cost more than everything else together.)
 * Attribute maps are serialized as the span holds them, numbers and booleans and
 * arrays included: the stores read JSON scalars and arrays into String columns as
 * their exact text (input_format_json_read_*_as_strings), which is the collector's
 * stringification. Values JSON cannot carry faithfully (NaN, ±Infinity, bytes) make
 * that one map fall back to explicit strings. Only columns a span has are written;
 * ClickHouse fills the rest with column defaults.
 *
 * Value conventions follow the OpenTelemetry Collector ClickHouse exporter:
 * hex ids ('' for none), SpanKind 'Internal'/'Server'/'Client'/'Producer'/'Consumer',
 * StatusCode 'Unset'/'Ok'/'Error', attribute values as strings (arrays as JSON).
 */
import type { Attributes, AttributeValue, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import { ATTR_GEN_AI_OPERATION_NAME } from '@slm-audit/semconv';
import { INFERENCE_ATTRIBUTE_COLUMNS, INFERENCE_MAP_COLUMNS, INFERENCE_SPAN_COLUMNS, type InferenceAttributeColumn } from './schema.js';

/**
 * What the mapping reads from a span: a structural subset of the SDK's ReadableSpan,
 * so spans from other sources (e.g. decoded OTLP) can be mapped too.
 */
export interface SpanRecord {
  readonly name: string;
  /** OpenTelemetry JS SpanKind (INTERNAL=0 … CONSUMER=4). */
  readonly kind: number;
  spanContext(): SpanContext;
  readonly parentSpanContext?: SpanContext | undefined;
  /** SDK 1.x ReadableSpans carry the parent as a plain id. */
  readonly parentSpanId?: string | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: readonly Link[];
  readonly events: readonly { readonly time: HrTime; readonly name: string; readonly attributes?: Attributes | undefined }[];
  readonly resource: { readonly attributes: Attributes; readonly asyncAttributesPending?: boolean | undefined };
  readonly instrumentationScope: { readonly name: string; readonly version?: string | undefined };
}

/** JSONEachRow bytes (UTF-8) for both tables; each row ends with a newline. */
export interface SpanRows {
  traces: Buffer;
  inferences: Buffer;
  traceCount: number;
  inferenceCount: number;
}

/** OpenTelemetry JS SpanKind → the collector's names (pdata SpanKind.String()). */
export const SPAN_KIND_NAMES: readonly string[] = ['Internal', 'Server', 'Client', 'Producer', 'Consumer'];
/** OpenTelemetry JS SpanStatusCode → the collector's names (pdata StatusCode.String()). */
export const STATUS_CODE_NAMES: readonly string[] = ['Unset', 'Ok', 'Error'];

const INVALID_SPAN_ID = '0000000000000000';
const INVALID_TRACE_ID = '00000000000000000000000000000000';

// --- JSON text helpers -------------------------------------------------------

// JSON.stringify escapes a lone surrogate as \udXXX, which ClickHouse rejects (failing
// the whole batch). Valid pairs are never escaped, so any such escape not preceded by
// an escaped backslash is a lone surrogate; it becomes U+FFFD, as any UTF-8 transport
// would make it.
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

function wellFormedJson(json: string): string {
  return json.includes('\\ud') ? json.replace(LONE_SURROGATE_ESCAPE, '$1\\ufffd') : json;
}

/** A JSON string literal for `s`, lone surrogates replaced. */
export function jsonString(s: string): string {
  return wellFormedJson(JSON.stringify(s));
}

function formatNumber(n: number): string {
  // JavaScript's number-to-string is the ES6 algorithm the collector's Go code imitates.
  if (Number.isFinite(n)) return String(n);
  return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
}

/**
 * An attribute value as the collector stores it in a Map(String, String): strings
 * as they are, numbers and booleans in their usual text form, arrays (and any other
 * structured value) as JSON, bytes as base64.
 */
export function formatAttributeValue(value: AttributeValue | unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
      return '';
    default:
      if (value === null) return '';
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      return JSON.stringify(value) ?? '';
  }
}

/** True when JSON.stringify writes the value as the text the collector would store. */
function jsonFaithful(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    default:
      // Arrays stringify like formatAttributeValue does; bytes and other objects do not.
      return Array.isArray(v);
  }
}

/** The map to serialize for an attribute object: itself, or explicit strings if it must. */
function mapValue(attributes: Attributes | undefined): Attributes | Record<string, string> {
  if (!attributes) return EMPTY;
  for (const key in attributes) {
    const v = attributes[key];
    if (v !== undefined && v !== null && !jsonFaithful(v)) return stringMap(attributes);
  }
  return attributes;
}

function stringMap(attributes: Attributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in attributes) {
    const v = attributes[key];
    if (v !== undefined && v !== null) out[key] = formatAttributeValue(v);
  }
  return out;
}

const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

// --- time --------------------------------------------------------------------

function pad9(n: number): string {
  const s = String(n);
  return s.length >= 9 ? s : '000000000'.slice(s.length) + s;
}

/** [seconds, nanoseconds in 0..1e9); a time that is not finite (a span ended with NaN) reads as the epoch. */
function normalize(t: HrTime): [number, number] {
  let s = Math.trunc(t[0]);
  let n = Math.round(t[1]);
  if (!Number.isFinite(s) || !Number.isFinite(n)) return [0, 0];
  if (n >= 1e9 || n < 0) {
    const carry = Math.floor(n / 1e9);
    s += carry;
    n -= carry * 1e9;
  }
  return [s, n];
}

// DateTime64(9) holds Int64 nanoseconds: 1970-01-01 to 2262-04-11 23:47:16.854775807.
const MAX_SECONDS = 9_223_372_036;
const MAX_NANOS_AT_MAX_SECONDS = 854_775_807;

/**
 * An HrTime as DateTime64(9) input text: `ssssssssss.nnnnnnnnn`, seconds since the
 * epoch zero-padded to ten digits. Exact (no float), independent of time zones, and
 * read the same under every date_time_input_format (best_effort misreads unpadded
 * short numbers). Times outside DateTime64(9)'s range are clamped to its ends, so one
 * bad span cannot fail a whole batch.
 */
export function hrTimeToDateTime64(t: HrTime): string {
  let [s, n] = normalize(t);
  if (s < 0 || !Number.isFinite(s)) return '0000000000.000000000';
  if (s > MAX_SECONDS || (s === MAX_SECONDS && n > MAX_NANOS_AT_MAX_SECONDS)) {
    s = MAX_SECONDS;
    n = MAX_NANOS_AT_MAX_SECONDS;
  }
  const sec = String(s);
  return `${sec.length >= 10 ? sec : '0000000000'.slice(sec.length) + sec}.${pad9(n)}`;
}

/** end − start in nanoseconds as an integer literal (0 if end precedes start). */
export function hrTimeDiffNanos(start: HrTime, end: HrTime): string {
  if (!Number.isFinite(start[0] + start[1] + end[0] + end[1])) return '0';
  const [s0, n0] = normalize(start);
  const [s1, n1] = normalize(end);
  const ds = s1 - s0;
  // Below ~104 days the result fits in a double exactly.
  if (ds < 9_000_000) {
    const total = ds * 1e9 + (n1 - n0);
    return total > 0 ? String(total) : '0';
  }
  return String(BigInt(ds) * 1_000_000_000n + BigInt(n1 - n0));
}

// --- resource and scope ------------------------------------------------------

interface ResourceInfo {
  /** ResourceAttributes / resource_attributes. */
  readonly map: Attributes | Record<string, string>;
  readonly serviceName: string;
  /** slm_inferences columns that come from the resource: [column, value]. */
  readonly inferenceColumns: readonly (readonly [string, unknown])[];
}

const resourceCache = new WeakMap<object, ResourceInfo>();

const SPAN_COLUMNS: InferenceAttributeColumn[] = [];
const RESOURCE_COLUMNS: InferenceAttributeColumn[] = [];
for (const col of INFERENCE_ATTRIBUTE_COLUMNS) (col.from === 'span' ? SPAN_COLUMNS : RESOURCE_COLUMNS).push(col);
const SPAN_COLUMN_INDEX = new Map<string, number>(SPAN_COLUMNS.map((col, i) => [col.attribute, i]));

const EMPTY_RESOURCE: SpanRecord['resource'] = { attributes: {} };

// Every slm_inferences row starts as a copy of this object: all columns present in
// table order, unset ones undefined (JSON.stringify leaves them out). One shape for
// every row keeps property stores and serialization on V8's fast paths.
const INFERENCE_ROW_TEMPLATE: Record<string, unknown> = Object.fromEntries([
  ...INFERENCE_SPAN_COLUMNS.map(([name]) => [name, undefined]),
  ...INFERENCE_ATTRIBUTE_COLUMNS.map((col) => [col.name, undefined]),
  ...INFERENCE_MAP_COLUMNS.map(([name]) => [name, undefined]),
]);

function resourceInfo(resource: SpanRecord['resource']): ResourceInfo {
  const cached = resourceCache.get(resource);
  if (cached) return cached;
  const attrs = resource.attributes ?? {};
  const service = attrs['service.name'];
  const inferenceColumns: [string, unknown][] = [];
  for (const col of RESOURCE_COLUMNS) {
    const v = attrs[col.attribute];
    if (v === undefined || v === null) continue;
    const value = columnValue(col, v);
    if (value !== undefined) inferenceColumns.push([col.name, value]);
  }
  const info: ResourceInfo = {
    map: mapValue(attrs),
    serviceName: service === undefined || service === null ? '' : formatAttributeValue(service),
    inferenceColumns,
  };
  // Attributes still being detected would change; cache only the settled ones.
  if (!resource.asyncAttributesPending) resourceCache.set(resource, info);
  return info;
}

// --- typed columns -----------------------------------------------------------

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function allStrings(v: readonly unknown[]): boolean {
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

/** The value for a typed column, or undefined when the attribute does not have the column's type. */
function columnValue(col: InferenceAttributeColumn, v: AttributeValue): unknown {
  switch (col.kind) {
    case 'string':
      if (typeof v === 'string') return v;
      return typeof v === 'number' || typeof v === 'boolean' ? formatAttributeValue(v) : undefined;
    case 'uuid':
      return typeof v === 'string' && UUID_RE.test(v) ? v : undefined;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    case 'uint':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= (col.max ?? Number.MAX_SAFE_INTEGER) ? v : undefined;
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
    case 'bool':
      return typeof v === 'boolean' ? v : undefined;
    case 'strings':
      return Array.isArray(v) && allStrings(v) ? v : undefined;
  }
}

// --- rows --------------------------------------------------------------------

// Per-span scratch space, reused: the attribute value per typed column.
const slotValues: (AttributeValue | undefined)[] = new Array(SPAN_COLUMNS.length).fill(undefined);
// Set while the slots hold a span's values; a span that threw midway must not leak into the next.
let slotsDirty = false;

function hexId(id: string | undefined, invalid: string): string {
  return !id || id === invalid ? '' : id;
}

function durationValue(start: HrTime, end: HrTime): number | string {
  const ns = hrTimeDiffNanos(start, end);
  // A JSON number is exact up to 2^53 ns (104 days); beyond, ClickHouse reads the quoted digits.
  return ns.length < 16 ? Number(ns) : ns;
}

function addEventsAndLinks(row: Record<string, unknown>, span: SpanRecord): void {
  const events = span.events;
  if (events && events.length > 0) {
    row['Events.Timestamp'] = events.map((e) => hrTimeToDateTime64(e.time));
    row['Events.Name'] = events.map((e) => e.name ?? '');
    row['Events.Attributes'] = events.map((e) => mapValue(e.attributes));
  }
  const links = span.links;
  if (links && links.length > 0) {
    row['Links.TraceId'] = links.map((l) => hexId(l.context?.traceId, INVALID_TRACE_ID));
    row['Links.SpanId'] = links.map((l) => hexId(l.context?.spanId, INVALID_SPAN_ID));
    row['Links.TraceState'] = links.map((l) => l.context?.traceState?.serialize() ?? '');
    row['Links.Attributes'] = links.map((l) => mapValue(l.attributes));
  }
}

/** True for spans that get an slm_inferences row: those with gen_ai.operation.name. */
export function isInferenceSpan(span: Pick<SpanRecord, 'attributes'>): boolean {
  const v = span.attributes?.[ATTR_GEN_AI_OPERATION_NAME];
  return v !== undefined && v !== null;
}

/** One span's rows (without trailing newlines); `inference` only for inference spans. */
export function spanToRows(span: SpanRecord): { trace: string; inference?: string } {
  if (slotsDirty) {
    slotValues.fill(undefined);
    slotsDirty = false;
  }
  const ctx = span.spanContext();
  const traceId = hexId(ctx.traceId, INVALID_TRACE_ID);
  const spanId = hexId(ctx.spanId, INVALID_SPAN_ID);
  const parentSpanId = hexId(span.parentSpanContext?.spanId ?? span.parentSpanId, INVALID_SPAN_ID);
  const timestamp = hrTimeToDateTime64(span.startTime);
  const duration = durationValue(span.startTime, span.endTime);
  const kind = SPAN_KIND_NAMES[span.kind] ?? 'Unspecified';
  const status = STATUS_CODE_NAMES[span.status?.code ?? 0] ?? 'Unset';
  const statusMessage = span.status?.message ?? '';
  const name = span.name ?? '';
  const resource = resourceInfo(span.resource ?? EMPTY_RESOURCE);
  const scopeName = span.instrumentationScope?.name ?? '';
  const scopeVersion = span.instrumentationScope?.version ?? '';
  const attributes = span.attributes ?? EMPTY;
  const inference = isInferenceSpan(span);

  // One pass routes attributes to typed columns and checks that JSON carries them faithfully.
  let faithful = true;
  let rest: Record<string, AttributeValue> | undefined;
  for (const key in attributes) {
    const v = attributes[key];
    if (v === undefined || v === null) continue;
    if (faithful && !jsonFaithful(v)) faithful = false;
    if (!inference) continue;
    const idx = SPAN_COLUMN_INDEX.get(key);
    if (idx === undefined) {
      (rest ??= {})[key] = v;
    } else {
      slotValues[idx] = v;
      slotsDirty = true;
    }
  }

  const traceRow: Record<string, unknown> = {
    Timestamp: timestamp,
    TraceId: traceId,
    SpanId: spanId,
    ParentSpanId: parentSpanId,
    TraceState: ctx.traceState?.serialize() ?? '',
    SpanName: name,
    SpanKind: kind,
    ServiceName: resource.serviceName,
    ResourceAttributes: resource.map,
    ScopeName: scopeName,
    ScopeVersion: scopeVersion,
    SpanAttributes: faithful ? attributes : stringMap(attributes),
    Duration: duration,
    StatusCode: status,
    StatusMessage: statusMessage,
  };
  addEventsAndLinks(traceRow, span);
  const trace = wellFormedJson(JSON.stringify(traceRow));
  if (!inference) return { trace };

  const row = { ...INFERENCE_ROW_TEMPLATE };
  row.timestamp = timestamp;
  row.duration_ns = duration;
  row.trace_id = traceId;
  row.span_id = spanId;
  row.parent_span_id = parentSpanId;
  row.span_name = name;
  row.span_kind = kind;
  row.status_code = status;
  row.status_message = statusMessage;
  row.scope_name = scopeName;
  row.scope_version = scopeVersion;
  for (const [column, value] of resource.inferenceColumns) row[column] = value;
  for (let i = 0; i < SPAN_COLUMNS.length; i++) {
    const v = slotValues[i];
    if (v === undefined) continue;
    slotValues[i] = undefined;
    const col = SPAN_COLUMNS[i]!;
    const value = columnValue(col, v);
    // Wrong type for the column: keep what the span said in span_attributes.
    if (value === undefined) (rest ??= {})[col.attribute] = v;
    else row[col.name] = value;
  }
  slotsDirty = false;
  row.span_attributes = rest === undefined ? EMPTY : faithful ? rest : stringMap(rest);
  row.resource_attributes = resource.map;
  return { trace, inference: wellFormedJson(JSON.stringify(row)) };
}

/**
 * Collects rows as UTF-8 bytes. Encoding each row as soon as it is made keeps the
 * strings short-lived (no batch-sized string to build, copy and encode again), and the
 * bytes are what an insert sends anyway.
 */
class RowBuffer {
  #buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  #length = 0;
  count = 0;

  reset(): void {
    this.#length = 0;
    this.count = 0;
  }

  push(row: string): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes; +1 for the newline.
    const need = this.#length + row.length * 3 + 1;
    if (need > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.#buf.copy(grown, 0, 0, this.#length);
      this.#buf = grown;
    }
    this.#length += this.#buf.write(row, this.#length, 'utf8');
    this.#buf[this.#length++] = 0x0a;
    this.count++;
  }

  bytes(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }
}

/**
 * Turns batches of spans into rows, reusing its memory from batch to batch: fresh
 * batch-sized allocations (page faults) cost more than building the rows. The buffers
 * of a result are views into the writer, valid until its next write().
 */
export class SpanRowWriter {
  readonly #traces = new RowBuffer();
  readonly #inferences = new RowBuffer();

  write(spans: readonly SpanRecord[]): SpanRows {
    const traces = this.#traces;
    const inferences = this.#inferences;
    traces.reset();
    inferences.reset();
    for (const span of spans) {
      const rows = spanToRows(span);
      traces.push(rows.trace);
      if (rows.inference !== undefined) inferences.push(rows.inference);
    }
    return { traces: traces.bytes(), inferences: inferences.bytes(), traceCount: traces.count, inferenceCount: inferences.count };
  }
}

/** Rows for a batch of spans, as JSONEachRow bytes (each row ends with a newline), in memory of their own. */
export function spansToRows(spans: readonly SpanRecord[]): SpanRows {
  return new SpanRowWriter().write(spans);
}
