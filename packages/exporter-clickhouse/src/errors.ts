/*
 * One error type for both stores, so callers handle a failed query the same way
 * whether it ran in-process (chDB) or on a server (@clickhouse/client).
 */

/** Why a store operation failed. */
export type StoreErrorReason =
  /** ClickHouse rejected the statement; `code`/`type` say why. */
  | 'clickhouse'
  /** The store was closed before or during the call. */
  | 'closed'
  /** The embedded engine is already bound to another data directory in this process. */
  | 'path_conflict'
  /** Another process holds the embedded store's data directory. */
  | 'locked'
  /** Bad options or arguments (e.g. an invalid database name); nothing was sent. */
  | 'invalid_argument'
  /** The server could not be reached, timed out, or answered something unparseable. */
  | 'connection';

export interface ClickHouseStoreErrorOptions {
  reason: StoreErrorReason;
  store: 'embedded' | 'http';
  code?: number;
  type?: string;
  queryId?: string;
  cause?: unknown;
}

export class ClickHouseStoreError extends Error {
  override readonly name = 'ClickHouseStoreError';
  readonly reason: StoreErrorReason;
  readonly store: 'embedded' | 'http';
  /** ClickHouse error code, e.g. 60 for UNKNOWN_TABLE. */
  readonly code: number | undefined;
  /** ClickHouse error name, e.g. `UNKNOWN_TABLE`. */
  readonly type: string | undefined;
  /** Query id the statement ran under (HTTP store; chDB does not expose one). */
  readonly queryId: string | undefined;

  constructor(message: string, options: ClickHouseStoreErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason;
    this.store = options.store;
    this.code = options.code;
    this.type = options.type;
    this.queryId = options.queryId;
  }
}

// Same shape ClickHouse uses everywhere: "Code: 60. DB::Exception: <text>. (UNKNOWN_TABLE)".
const CODE_RE = /Code: (\d+)\./;
const TYPE_RE = /\(([A-Z][A-Z0-9_]{2,})\)(?: \(version [^)]*\))?\s*$/;

/** Pulls the ClickHouse error code and name out of an exception text. */
export function parseClickHouseException(text: string): { code?: number; type?: string; message: string } {
  const start = text.indexOf('Code: ');
  const message = (start >= 0 ? text.slice(start) : text).trim();
  const code = CODE_RE.exec(message);
  const type = TYPE_RE.exec(message);
  return {
    message,
    ...(code ? { code: Number(code[1]) } : {}),
    ...(type ? { type: type[1] } : {}),
  };
}

/** Identifiers we interpolate into SQL: plain names only, so no quoting rules apply. */
const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 128 && IDENTIFIER_RE.test(value);
}

export function assertIdentifier(value: string, what: string, store: 'embedded' | 'http'): string {
  if (!isIdentifier(value)) {
    throw new ClickHouseStoreError(
      `Invalid ${what} ${JSON.stringify(value)}: use letters, digits and underscores, not starting with a digit`,
      { reason: 'invalid_argument', store },
    );
  }
  return value;
}

/** A table name as `table` or `database.table`, each part a plain identifier. */
export function assertTableName(value: string, store: 'embedded' | 'http'): string {
  const parts = typeof value === 'string' ? value.split('.') : [];
  if (parts.length < 1 || parts.length > 2) {
    throw new ClickHouseStoreError(`Invalid table name ${JSON.stringify(value)}`, { reason: 'invalid_argument', store });
  }
  for (const p of parts) assertIdentifier(p, 'table name', store);
  return value;
}
