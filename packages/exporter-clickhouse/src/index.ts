export type { AuditStore, QueryParams, EmbeddedStoreOptions, HttpStoreOptions, StoreOptions } from './store.js';
export { DEFAULT_DATABASE } from './store.js';
export { openStore } from './open-store.js';
export { EmbeddedStore, embeddedEnginePath } from './embedded-store.js';
export { HttpStore } from './http-store.js';
export { ClickHouseStoreError, type StoreErrorReason } from './errors.js';
export {
  SCHEMA_VERSION,
  TRACES_TABLE,
  TRACE_ID_TS_TABLE,
  TRACE_ID_TS_VIEW,
  INFERENCES_TABLE,
  INFERENCES_TABLE_COMMENT,
  INFERENCE_ATTRIBUTE_COLUMNS,
  INFERENCE_SPAN_COLUMNS,
  INFERENCE_MAP_COLUMNS,
  ensureSchema,
  schemaStatements,
  supportsFullTextIndexes,
  COLLECTOR_ATTRIBUTE_INDEXES,
  type InferenceAttributeColumn,
  type ValueKind,
  type SchemaOptions,
  type SchemaStatementOptions,
} from './schema.js';
export {
  spansToRows,
  SpanRowWriter,
  spanToRows,
  isInferenceSpan,
  formatAttributeValue,
  hrTimeToDateTime64,
  hrTimeDiffNanos,
  jsonString,
  SPAN_KIND_NAMES,
  STATUS_CODE_NAMES,
  type SpanRecord,
  type SpanRows,
} from './span-rows.js';
export { ClickHouseSpanExporter, DEFAULT_MAX_SPANS_PER_INSERT, type ClickHouseSpanExporterOptions } from './exporter.js';
