/*
 * EmbeddedStore: ClickHouse in this process through chDB.
 *
 * chDB binds ONE data directory per process. Several sessions on that directory
 * coexist (each is its own connection to the same engine, with its own current
 * database and settings); a session on a different directory is refused while any
 * is open. The registry below turns that into a clear error before chDB is touched,
 * and lets the directory change once every store on it has closed.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Session } from 'chdb';
import { ClickHouseStoreError, assertIdentifier, assertTableName, parseClickHouseException } from './errors.js';
import { DEFAULT_DATABASE, type AuditStore, type EmbeddedStoreOptions, type QueryParams } from './store.js';

type Chdb = typeof import('chdb');

// Loaded on first use: HTTP-only users never load the native addon.
let chdbModule: Promise<Chdb> | undefined;
function loadChdb(): Promise<Chdb> {
  chdbModule ??= import('chdb');
  return chdbModule;
}

const engine = { path: undefined as string | undefined, open: 0 };

/** The data directory the in-process engine is bound to, if any store is open. */
export function embeddedEnginePath(): string | undefined {
  return engine.open > 0 ? engine.path : undefined;
}

async function acquireSession(path: string): Promise<Session> {
  const key = resolve(path);
  const chdb = await loadChdb();
  if (engine.open === 0 && engine.path !== key) {
    // A closed session may still be tearing down behind a running operation;
    // chDB refuses a new directory until it has.
    await chdb.drainPending();
  }
  // Checked after the await: another open may have bound the engine meanwhile.
  if (engine.open > 0 && engine.path !== key) {
    throw new ClickHouseStoreError(
      `The embedded ClickHouse engine is already open at ${engine.path}; a process can use one data ` +
        `directory at a time. Close the stores on it first, use the same path, or use an HttpStore.`,
      { reason: 'path_conflict', store: 'embedded' },
    );
  }
  mkdirSync(key, { recursive: true });
  let session: Session;
  try {
    session = new chdb.Session(key, {
      // Rows come back as JSON; 64-bit integers (nanosecond timestamps, durations)
      // must stay exact, so they are quoted, as the HTTP store asks the server to.
      connectionArgs: ['--output_format_json_quote_64bit_integers=1'],
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const conflict = /one active data directory|Cannot open a session at/.test(message);
    throw new ClickHouseStoreError(
      conflict
        ? `The embedded ClickHouse engine is bound to another data directory in this process: ${message}`
        : `Cannot open the embedded ClickHouse engine at ${key}: ${message}`,
      { reason: conflict ? 'path_conflict' : 'connection', store: 'embedded', cause: err },
    );
  }
  engine.path = key;
  engine.open++;
  return session;
}

function releaseSession(session: Session): void {
  session.close();
  engine.open = Math.max(0, engine.open - 1);
}

function toStoreError(err: unknown): ClickHouseStoreError {
  if (err instanceof ClickHouseStoreError) return err;
  const e = err as { message?: unknown; code?: unknown; clickhouseCode?: unknown } | undefined;
  const text = e && e.message !== undefined ? String(e.message) : String(err);
  if (e?.code === 'CHDB_CLOSED') {
    return new ClickHouseStoreError('The embedded store is closed', { reason: 'closed', store: 'embedded', cause: err });
  }
  const parsed = parseClickHouseException(text);
  const code = typeof e?.clickhouseCode === 'number' ? e.clickhouseCode : parsed.code;
  return new ClickHouseStoreError(parsed.message, {
    reason: 'clickhouse',
    store: 'embedded',
    ...(code !== undefined ? { code } : {}),
    ...(parsed.type !== undefined ? { type: parsed.type } : {}),
    cause: err,
  });
}

function hasParams(params: QueryParams | undefined): params is QueryParams {
  return params !== undefined && Object.keys(params).length > 0;
}

/** Parses JSONEachRow text: rows are single lines, since JSON escapes every newline in a value. */
function parseJsonEachRow<T>(text: string): T[] {
  const body = text.trim();
  if (body.length === 0) return [];
  return JSON.parse(`[${body.replaceAll('\n', ',')}]`) as T[];
}

export class EmbeddedStore implements AuditStore {
  readonly kind = 'embedded' as const;
  readonly database: string;
  /** Resolved data directory. */
  readonly path: string;
  #session: Session | undefined;

  private constructor(session: Session, path: string, database: string) {
    this.#session = session;
    this.path = path;
    this.database = database;
  }

  /** Opens (or creates) the data directory and the database, which becomes the session's current one. */
  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    if (typeof options?.path !== 'string' || options.path.length === 0) {
      throw new ClickHouseStoreError('EmbeddedStore needs a data directory path', { reason: 'invalid_argument', store: 'embedded' });
    }
    const database = assertIdentifier(options.database ?? DEFAULT_DATABASE, 'database name', 'embedded');
    const session = await acquireSession(options.path);
    try {
      await session.queryAsync(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
      await session.queryAsync(`USE \`${database}\``);
    } catch (err) {
      releaseSession(session);
      throw toStoreError(err);
    }
    return new EmbeddedStore(session, resolve(options.path), database);
  }

  #live(): Session {
    if (!this.#session) throw new ClickHouseStoreError('The embedded store is closed', { reason: 'closed', store: 'embedded' });
    return this.#session;
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    const session = this.#live();
    try {
      if (hasParams(params)) await session.queryBindAsync(sql, params, { format: 'CSV' });
      else await session.queryAsync(sql, { format: 'CSV' });
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    const session = this.#live();
    try {
      const result = hasParams(params)
        ? await session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
        : await session.queryAsync(sql, { format: 'JSONEachRow' });
      return parseJsonEachRow<T>(result.text());
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async queryTable(sql: string, params?: QueryParams): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
    const session = this.#live();
    try {
      const result = hasParams(params)
        ? await session.queryBindAsync(sql, params, { format: 'JSONCompact' })
        : await session.queryAsync(sql, { format: 'JSONCompact' });
      const text = result.text();
      if (text.trim().length === 0) return { columns: [], rows: [] };
      const doc = JSON.parse(text) as { meta: { name: string; type: string }[]; data: unknown[][] };
      return { columns: doc.meta.map(({ name, type }) => ({ name, type })), rows: doc.data };
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async insert(table: string, jsonEachRow: string | Buffer): Promise<void> {
    assertTableName(table, 'embedded');
    const session = this.#live();
    if (jsonEachRow.length === 0) return;
    try {
      await session.insert({
        table,
        values: typeof jsonEachRow === 'string' ? Buffer.from(jsonEachRow, 'utf8') : jsonEachRow,
        format: 'JSONEachRow',
        // Callers hand over whole batches; a synchronous insert means the rows are
        // readable when the promise resolves (ClickHouse 26 defaults async_insert to 1).
        settings: { async_insert: 0 },
      });
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async close(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    releaseSession(session);
  }
}
