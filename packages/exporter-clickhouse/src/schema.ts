/*
 * The table layout: the only module that knows column names, types, keys and
 * indexes. span-rows.ts builds rows from the column list below; docs/schema.md
 * explains the choices.
 *
 * otel_traces (+ its trace-id lookup table and view) is the OpenTelemetry Collector
 * contrib ClickHouse exporter's traces layout, so tools built for it (Grafana's
 * ClickHouse plugin, collector queries) read our spans, and a collector can write
 * into the same table. slm_inferences is ours: one row per inference span, every
 * slm-audit attribute in a typed column.
 */
import * as A from '@slm-audit/semconv';
import { assertIdentifier, isIdentifier } from './errors.js';
import type { AuditStore } from './store.js';

/** Bump with every layout change; migrations key on it (stored as the slm_inferences table comment). */
export const SCHEMA_VERSION = 1;

export const TRACES_TABLE = 'otel_traces';
export const TRACE_ID_TS_TABLE = 'otel_traces_trace_id_ts';
export const TRACE_ID_TS_VIEW = 'otel_traces_trace_id_ts_mv';
export const INFERENCES_TABLE = 'slm_inferences';

/** Comment on slm_inferences; `SELECT comment FROM system.tables` tells a migration what it faces. */
export const INFERENCES_TABLE_COMMENT = `slm-audit schema ${SCHEMA_VERSION}`;

/**
 * How an attribute value becomes a column value. A value of the wrong JS type (or
 * out of range) leaves the column at its default/NULL and is kept, stringified,
 * in span_attributes, so nothing the span said is lost.
 */
export type ValueKind =
  /** string; a number or boolean is stringified as the collector does. */
  | 'string'
  /** a UUID string. */
  | 'uuid'
  /** a finite number. */
  | 'float'
  /** an integer number in [0, max]. */
  | 'uint'
  /** a safe integer number. */
  | 'int'
  | 'bool'
  /** an array of strings. */
  | 'strings';

export interface InferenceAttributeColumn {
  readonly name: string;
  /** ClickHouse type with codec, as in the DDL. */
  readonly type: string;
  /** Attribute the value comes from. */
  readonly attribute: string;
  /** Span attributes or resource attributes. */
  readonly from: 'span' | 'resource';
  readonly kind: ValueKind;
  /** Absent (or unusable) values are NULL rather than the type's default. */
  readonly nullable: boolean;
  /** Largest value for `uint`. */
  readonly max?: number;
}

const UINT16 = 65_535;
const UINT32 = 4_294_967_295;

const LC = 'LowCardinality(String) CODEC(ZSTD(1))';
const STR = 'String CODEC(ZSTD(1))';
const CONTENT = 'String CODEC(ZSTD(3))';
const F64 = 'Nullable(Float64) CODEC(ZSTD(1))';
const U32 = 'Nullable(UInt32) CODEC(ZSTD(1))';

function c(name: string, attribute: string, kind: ValueKind, type: string, from: 'span' | 'resource' = 'span'): InferenceAttributeColumn {
  const nullable = type.startsWith('Nullable(');
  const max = kind !== 'uint' ? undefined : type.includes('UInt16') ? UINT16 : type.includes('UInt32') ? UINT32 : Number.MAX_SAFE_INTEGER;
  return { name, attribute, kind, type, from, nullable, ...(max !== undefined ? { max } : {}) };
}

/** slm_inferences columns filled from attributes, in table order. */
export const INFERENCE_ATTRIBUTE_COLUMNS: readonly InferenceAttributeColumn[] = [
  c('service_name', A.ATTR_SERVICE_NAME, 'string', LC, 'resource'),
  c('service_version', A.ATTR_SERVICE_VERSION, 'string', LC, 'resource'),
  c('host_name', A.ATTR_HOST_NAME, 'string', LC, 'resource'),
  c('record_id', A.ATTR_AUDIT_RECORD_ID, 'uuid', 'UUID CODEC(ZSTD(1))'),
  // Request.
  c('operation_name', A.ATTR_GEN_AI_OPERATION_NAME, 'string', LC),
  c('provider_name', A.ATTR_GEN_AI_PROVIDER_NAME, 'string', LC),
  c('request_model', A.ATTR_GEN_AI_REQUEST_MODEL, 'string', LC),
  c('server_address', A.ATTR_SERVER_ADDRESS, 'string', LC),
  c('server_port', A.ATTR_SERVER_PORT, 'uint', 'Nullable(UInt16) CODEC(ZSTD(1))'),
  c('request_temperature', A.ATTR_GEN_AI_REQUEST_TEMPERATURE, 'float', F64),
  c('request_top_p', A.ATTR_GEN_AI_REQUEST_TOP_P, 'float', F64),
  c('request_top_k', A.ATTR_GEN_AI_REQUEST_TOP_K, 'float', F64),
  c('request_max_tokens', A.ATTR_GEN_AI_REQUEST_MAX_TOKENS, 'uint', U32),
  c('request_seed', A.ATTR_GEN_AI_REQUEST_SEED, 'int', 'Nullable(Int64) CODEC(ZSTD(1))'),
  c('request_stop_sequences', A.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES, 'strings', 'Array(String) CODEC(ZSTD(1))'),
  c('request_frequency_penalty', A.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, 'float', F64),
  c('request_presence_penalty', A.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, 'float', F64),
  c('request_choice_count', A.ATTR_GEN_AI_REQUEST_CHOICE_COUNT, 'uint', U32),
  c('request_stream', A.ATTR_GEN_AI_REQUEST_STREAM, 'bool', 'Nullable(Bool)'),
  c('output_type', A.ATTR_GEN_AI_OUTPUT_TYPE, 'string', LC),
  // Who and where.
  c('conversation_id', A.ATTR_GEN_AI_CONVERSATION_ID, 'string', STR),
  c('user_id', A.ATTR_USER_ID, 'string', STR),
  c('session_id', A.ATTR_SESSION_ID, 'string', STR),
  c('tenant_id', A.ATTR_AUDIT_TENANT_ID, 'string', LC),
  c('feature', A.ATTR_AUDIT_FEATURE, 'string', LC),
  c('prompt_template_id', A.ATTR_AUDIT_PROMPT_TEMPLATE_ID, 'string', LC),
  c('prompt_template_version', A.ATTR_AUDIT_PROMPT_TEMPLATE_VERSION, 'string', LC),
  // Response.
  c('response_id', A.ATTR_GEN_AI_RESPONSE_ID, 'string', STR),
  c('response_model', A.ATTR_GEN_AI_RESPONSE_MODEL, 'string', LC),
  c('response_finish_reasons', A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, 'strings', 'Array(LowCardinality(String)) CODEC(ZSTD(1))'),
  c('usage_input_tokens', A.ATTR_GEN_AI_USAGE_INPUT_TOKENS, 'uint', U32),
  c('usage_output_tokens', A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, 'uint', U32),
  c('usage_reasoning_output_tokens', A.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 'uint', U32),
  c('usage_cache_read_input_tokens', A.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 'uint', U32),
  c('response_time_to_first_chunk', A.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, 'float', F64),
  c('time_to_first_token', A.ATTR_AUDIT_TIME_TO_FIRST_TOKEN, 'float', F64),
  c('tokens_per_second', A.ATTR_AUDIT_TOKENS_PER_SECOND, 'float', F64),
  // Content governance.
  c('content_input_policy', A.ATTR_AUDIT_CONTENT_INPUT_POLICY, 'string', LC),
  c('content_output_policy', A.ATTR_AUDIT_CONTENT_OUTPUT_POLICY, 'string', LC),
  c('content_system_instructions_policy', A.ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY, 'string', LC),
  c('input_hash', A.ATTR_AUDIT_INPUT_HASH, 'string', STR),
  c('output_hash', A.ATTR_AUDIT_OUTPUT_HASH, 'string', STR),
  c('system_instructions_hash', A.ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH, 'string', STR),
  c('hash_key_id', A.ATTR_AUDIT_HASH_KEY_ID, 'string', LC),
  c('input_messages', A.ATTR_GEN_AI_INPUT_MESSAGES, 'string', CONTENT),
  c('output_messages', A.ATTR_GEN_AI_OUTPUT_MESSAGES, 'string', CONTENT),
  c('system_instructions', A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, 'string', CONTENT),
  c('input_original_length', A.ATTR_AUDIT_INPUT_ORIGINAL_LENGTH, 'uint', U32),
  c('input_truncated', A.ATTR_AUDIT_INPUT_TRUNCATED, 'bool', 'Bool'),
  c('output_original_length', A.ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH, 'uint', U32),
  c('output_truncated', A.ATTR_AUDIT_OUTPUT_TRUNCATED, 'bool', 'Bool'),
  c('redaction_types', A.ATTR_AUDIT_REDACTION_TYPES, 'strings', 'Array(LowCardinality(String)) CODEC(ZSTD(1))'),
  c('redaction_count', A.ATTR_AUDIT_REDACTION_COUNT, 'uint', U32),
  // Confidence.
  c('confidence_mean_logprob', A.ATTR_AUDIT_CONFIDENCE_MEAN_LOGPROB, 'float', F64),
  c('confidence_min_logprob', A.ATTR_AUDIT_CONFIDENCE_MIN_LOGPROB, 'float', F64),
  c('confidence_perplexity', A.ATTR_AUDIT_CONFIDENCE_PERPLEXITY, 'float', F64),
  c('confidence_score', A.ATTR_AUDIT_CONFIDENCE_SCORE, 'float', F64),
  c('confidence_source', A.ATTR_AUDIT_CONFIDENCE_SOURCE, 'string', LC),
  c('confidence_tokens', A.ATTR_AUDIT_CONFIDENCE_TOKENS, 'uint', U32),
  // Reasoning.
  c('reasoning_present', A.ATTR_AUDIT_REASONING_PRESENT, 'bool', 'Nullable(Bool)'),
  c('reasoning_tokens', A.ATTR_AUDIT_REASONING_TOKENS, 'uint', U32),
  c('reasoning_start', A.ATTR_AUDIT_REASONING_START, 'uint', U32),
  c('reasoning_end', A.ATTR_AUDIT_REASONING_END, 'uint', U32),
  c('reasoning_hash', A.ATTR_AUDIT_REASONING_HASH, 'string', STR),
  // Model identity.
  c('model_version', A.ATTR_AUDIT_MODEL_VERSION, 'string', LC),
  c('model_digest', A.ATTR_AUDIT_MODEL_DIGEST, 'string', LC),
  c('model_quantization', A.ATTR_AUDIT_MODEL_QUANTIZATION, 'string', LC),
  c('model_context_size', A.ATTR_AUDIT_MODEL_CONTEXT_SIZE, 'uint', U32),
  c('model_family', A.ATTR_AUDIT_MODEL_FAMILY, 'string', LC),
  c('model_parameter_size', A.ATTR_AUDIT_MODEL_PARAMETER_SIZE, 'string', LC),
  // Errors and diagnostics.
  c('error_type', A.ATTR_ERROR_TYPE, 'string', LC),
  c('error_code', A.ATTR_AUDIT_ERROR_CODE, 'string', LC),
  c('diagnostics', A.ATTR_AUDIT_DIAGNOSTICS, 'strings', 'Array(LowCardinality(String)) CODEC(ZSTD(1))'),
  // Integrity (the hash chain fills these; empty until it exists).
  c('chain_id', A.ATTR_AUDIT_CHAIN_ID, 'string', LC),
  c('chain_seq', A.ATTR_AUDIT_CHAIN_SEQ, 'uint', 'Nullable(UInt64) CODEC(ZSTD(1))'),
  c('record_prev_hash', A.ATTR_AUDIT_RECORD_PREV_HASH, 'string', STR),
  c('record_hash', A.ATTR_AUDIT_RECORD_HASH, 'string', STR),
];

/** slm_inferences columns taken from the span itself, in table order (before the attribute columns). */
export const INFERENCE_SPAN_COLUMNS = [
  ['timestamp', 'DateTime64(9) CODEC(Delta(8), ZSTD(1))'],
  ['duration_ns', 'UInt64 CODEC(T64, ZSTD(1))'],
  ['trace_id', 'String CODEC(ZSTD(1))'],
  ['span_id', 'String CODEC(ZSTD(1))'],
  ['parent_span_id', 'String CODEC(ZSTD(1))'],
  ['span_name', LC],
  ['span_kind', LC],
  ['status_code', LC],
  ['status_message', STR],
  ['scope_name', LC],
  ['scope_version', LC],
] as const;

/** slm_inferences map columns, last in the table. */
export const INFERENCE_MAP_COLUMNS = [
  // Span attributes without a typed column, plus values that did not fit theirs.
  ['span_attributes', 'Map(LowCardinality(String), String) CODEC(ZSTD(1))'],
  ['resource_attributes', 'Map(LowCardinality(String), String) CODEC(ZSTD(1))'],
] as const;

export interface SchemaOptions {
  /** Database holding the tables; default the store's. */
  database?: string;
  /**
   * otel_traces skip indexes: bloom filters (false, the default) or text indexes (true),
   * the two flavours of the collector's template; 'auto' picks as the collector does
   * (text from ClickHouse 26.2). Text indexes made inserts ~35% slower in our
   * measurements, hence the default.
   */
  fullTextIndexes?: boolean | 'auto';
  /**
   * Also create the collector's four attribute-map indexes on otel_traces (keys and
   * values of ResourceAttributes and SpanAttributes). Default false: each one cost
   * ~30–45% of otel_traces insert throughput in our measurements (all four: ~42k → ~17k
   * rows/s), and they only prune granules for attribute filters; every query returns
   * the same rows without them. See docs/schema.md.
   */
  collectorIndexes?: boolean;
}

export interface SchemaStatementOptions {
  /** Text indexes instead of bloom filters on otel_traces (the collector's flavour for ClickHouse 26.2+). */
  fullTextIndexes?: boolean;
  /** The collector's full otel_traces index set, attribute-map indexes included. */
  collectorIndexes?: boolean;
}

function ident(database: string, table: string): string {
  return `\`${database}\`.\`${table}\``;
}

/** Names of the collector's otel_traces attribute-map indexes (created only with `collectorIndexes`). */
export const COLLECTOR_ATTRIBUTE_INDEXES = {
  bloom: ['idx_res_attr_key', 'idx_res_attr_value', 'idx_span_attr_key', 'idx_span_attr_value'],
  text: ['idx_res_attr_key', 'idx_res_attr_items', 'idx_span_attr_key', 'idx_span_attr_items'],
} as const;

function tracesTable(db: string, fullText: boolean, collectorIndexes: boolean): string {
  const traceId = fullText
    ? "INDEX idx_trace_id TraceId TYPE text(tokenizer = 'array')"
    : 'INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1';
  const attributeIndexes = !collectorIndexes
    ? []
    : fullText
      ? [
          "INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE text(tokenizer = 'array')",
          "INDEX idx_res_attr_items ResourceAttributeItems TYPE text(tokenizer = 'array')",
          "INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE text(tokenizer = 'array')",
          "INDEX idx_span_attr_items SpanAttributeItems TYPE text(tokenizer = 'array')",
        ]
      : [
          'INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1',
          'INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1',
          'INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1',
          'INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1',
        ];
  const indexes = [traceId, ...attributeIndexes];
  return `CREATE TABLE IF NOT EXISTS ${ident(db, TRACES_TABLE)} (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))')),
    ${indexes.join(',\n    ')},
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;
}

function traceIdTsTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(db, TRACE_ID_TS_TABLE)} (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = AggregatingMergeTree()
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;
}

function traceIdTsView(db: string): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${ident(db, TRACE_ID_TS_VIEW)}
TO ${ident(db, TRACE_ID_TS_TABLE)}
AS SELECT
    TraceId,
    min(toDateTime(Timestamp)) AS Start,
    max(toDateTime(Timestamp)) AS End
FROM ${ident(db, TRACES_TABLE)}
WHERE TraceId != ''
GROUP BY TraceId`;
}

function inferencesTable(db: string): string {
  const columns = [
    ...INFERENCE_SPAN_COLUMNS.map(([name, type]) => `${name} ${type}`),
    ...INFERENCE_ATTRIBUTE_COLUMNS.map((col) => `${col.name} ${col.type}`),
    ...INFERENCE_MAP_COLUMNS.map(([name, type]) => `${name} ${type}`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${ident(db, INFERENCES_TABLE)} (
    ${columns.join(',\n    ')},
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_record_id record_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_conversation_id conversation_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(span_attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration duration_ns TYPE minmax GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(timestamp)
PRIMARY KEY (tenant_id, request_model, toDateTime(timestamp))
ORDER BY (tenant_id, request_model, toDateTime(timestamp), timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT '${INFERENCES_TABLE_COMMENT}'`;
}

/** The DDL, in the order it must run. Every statement is `IF NOT EXISTS`. */
export function schemaStatements(database: string, options: SchemaStatementOptions = {}): string[] {
  if (!isIdentifier(database)) throw new TypeError(`Invalid database name ${JSON.stringify(database)}`);
  const db = database;
  return [tracesTable(db, options.fullTextIndexes ?? false, options.collectorIndexes ?? false), traceIdTsTable(db), traceIdTsView(db), inferencesTable(db)];
}

/** The collector switches to text indexes from ClickHouse 26.2 (used by `fullTextIndexes: 'auto'`). */
export function supportsFullTextIndexes(version: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 26 || (major === 26 && minor >= 2);
}

/** Creates the tables if they are missing. Idempotent; safe to run on every start. */
export async function ensureSchema(store: AuditStore, options: SchemaOptions = {}): Promise<void> {
  const database = assertIdentifier(options.database ?? store.database, 'database name', store.kind);
  if (database !== store.database) await store.exec(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  let fullTextIndexes = options.fullTextIndexes === true;
  if (options.fullTextIndexes === 'auto') {
    const [row] = await store.query<{ v: string }>('SELECT version() AS v');
    fullTextIndexes = supportsFullTextIndexes(String(row?.v ?? ''));
  }
  for (const statement of schemaStatements(database, { fullTextIndexes, collectorIndexes: options.collectorIndexes === true })) {
    await store.exec(statement);
  }
}
