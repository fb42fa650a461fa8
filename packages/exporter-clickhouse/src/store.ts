/*
 * The storage seam: everything above it (exporter, schema, CLI queries) talks to an
 * AuditStore and does not care whether ClickHouse runs in this process or on a server.
 */

/** Values bound as ClickHouse `{name:Type}` query parameters; never interpolated into SQL. */
export type QueryParams = Record<string, unknown>;

/**
 * SQL goes without a FORMAT clause (the store picks the format). Every call stands
 * alone, as an HTTP request does: session state (USE, SET) does not carry over, so
 * qualify names and put settings in the statement (`SETTINGS …`).
 */
export interface AuditStore {
  readonly kind: 'embedded' | 'http';
  /** Database that unqualified table names resolve to. */
  readonly database: string;
  /** DDL or any statement whose result is not needed. */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /**
   * Rows as objects. 64-bit integers arrive as strings (JSON numbers cannot hold
   * them exactly), as do DateTime64 values.
   */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Column names and types plus positional rows, for printing tables. */
  queryTable(sql: string, params?: QueryParams): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }>;
  /** Newline-delimited JSON rows (JSONEachRow) into `table` or `database.table`. */
  insert(table: string, jsonEachRow: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Settings both stores send with every insert. JSON numbers, booleans and arrays are
 * read into String columns as their exact text (the exporter relies on this for
 * attribute maps; these are ClickHouse's defaults since 24.1, set explicitly so a
 * server profile cannot change them). Inserts are synchronous: callers hand over whole
 * batches, and rows are readable once insert() resolves (ClickHouse 26 defaults
 * async_insert to 1).
 */
export const INSERT_SETTINGS = {
  async_insert: 0,
  input_format_json_read_numbers_as_strings: 1,
  input_format_json_read_bools_as_strings: 1,
  input_format_json_read_arrays_as_strings: 1,
} as const;

/** Default database for both stores, so audit tables never mix with an application's own. */
export const DEFAULT_DATABASE = 'slm_audit';

export interface EmbeddedStoreOptions {
  /** Data directory of the in-process engine. One directory per process (chDB limit). */
  path: string;
  /** Default `slm_audit`. */
  database?: string;
}

export interface HttpStoreOptions {
  /** e.g. `http://localhost:8123` or `https://host:8443`. */
  url: string;
  username?: string;
  password?: string;
  /** Default `slm_audit`. */
  database?: string;
  /** CA for the server certificate; cert + key for mutual TLS. */
  tls?: { caCert?: Buffer | string; cert?: Buffer | string; key?: Buffer | string };
  /** Default 30 000. */
  requestTimeoutMs?: number;
  /** ClickHouse settings sent with every request. */
  clickhouseSettings?: Record<string, unknown>;
}

export type StoreOptions = EmbeddedStoreOptions | HttpStoreOptions;

export function isHttpStoreOptions(options: StoreOptions): options is HttpStoreOptions {
  return typeof (options as HttpStoreOptions).url === 'string';
}
