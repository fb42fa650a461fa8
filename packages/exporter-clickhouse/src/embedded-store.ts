/*
 * EmbeddedStore: ClickHouse in this process through chDB.
 *
 * chDB binds ONE data directory per process. Several sessions on that directory
 * coexist (each is its own connection to the same engine, with its own current
 * database and settings); a session on a different directory is refused while any
 * is open. The registry below turns that into a clear error before chDB is touched,
 * and lets the directory change once every store on it has closed.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Session } from 'chdb';
import { ClickHouseStoreError, assertIdentifier, assertTableName, parseClickHouseException } from './errors.js';
import { DEFAULT_DATABASE, INSERT_SETTINGS, type AuditStore, type EmbeddedStoreOptions, type QueryParams } from './store.js';

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
    const holder = lockHolder(key);
    if (holder !== undefined) {
      // chDB prints the engine's reason to stderr and throws a bare "Failed to create
      // connection"; say what happened, in ClickHouse's words, with the way out.
      throw new ClickHouseStoreError(
        `The data directory ${key} is in use by another process (pid ${holder}): Cannot lock file ${join(key, 'status')}. ` +
          'Another server instance in same directory is already running. Stop that process, or reach it over HTTP with an HttpStore.',
        { reason: 'locked', store: 'embedded', code: 76, type: 'CANNOT_OPEN_FILE', cause: err },
      );
    }
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

/** The pid of another live process that holds `dir` (ClickHouse writes it to `status`), if any. */
function lockHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(/^PID:\s*(\d+)/m.exec(readFileSync(join(dir, 'status'), 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, but not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
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

/**
 * Connections per store. chDB runs one statement at a time per connection, so the
 * exporter's two inserts per batch (and any query meanwhile) need two to overlap;
 * measured, that took inserts from ~16k to ~22k spans/s on two cores.
 */
const CONNECTIONS = 2;

/**
 * ClickHouse in this process (chDB). Like an HTTP request, each call may run on a
 * different connection, so session state (USE, SET) does not carry from one call to
 * the next: qualify names and pass settings in the statement.
 */
export class EmbeddedStore implements AuditStore {
  readonly kind = 'embedded' as const;
  readonly database: string;
  /** Resolved data directory. */
  readonly path: string;
  #sessions: Session[] | undefined;
  readonly #busy: number[];

  private constructor(sessions: Session[], path: string, database: string) {
    this.#sessions = sessions;
    this.#busy = sessions.map(() => 0);
    this.path = path;
    this.database = database;
  }

  /** Opens (or creates) the data directory and the database, which unqualified names resolve to. */
  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    if (typeof options?.path !== 'string' || options.path.length === 0) {
      throw new ClickHouseStoreError('EmbeddedStore needs a data directory path', { reason: 'invalid_argument', store: 'embedded' });
    }
    const database = assertIdentifier(options.database ?? DEFAULT_DATABASE, 'database name', 'embedded');
    const sessions: Session[] = [];
    try {
      for (let i = 0; i < CONNECTIONS; i++) sessions.push(await acquireSession(options.path));
      await sessions[0]!.queryAsync(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
      for (const session of sessions) await session.queryAsync(`USE \`${database}\``);
    } catch (err) {
      for (const session of sessions) releaseSession(session);
      throw toStoreError(err);
    }
    return new EmbeddedStore(sessions, resolve(options.path), database);
  }

  /** Runs `fn` on the least busy connection. */
  async #run<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const sessions = this.#sessions;
    if (!sessions) throw new ClickHouseStoreError('The embedded store is closed', { reason: 'closed', store: 'embedded' });
    let pick = 0;
    for (let i = 1; i < sessions.length; i++) if (this.#busy[i]! < this.#busy[pick]!) pick = i;
    this.#busy[pick]!++;
    try {
      return await fn(sessions[pick]!);
    } catch (err) {
      throw toStoreError(err);
    } finally {
      this.#busy[pick]!--;
    }
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    await this.#run((session) =>
      hasParams(params) ? session.queryBindAsync(sql, params, { format: 'CSV' }) : session.queryAsync(sql, { format: 'CSV' }),
    );
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    const result = await this.#run((session) =>
      hasParams(params)
        ? session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
        : session.queryAsync(sql, { format: 'JSONEachRow' }),
    );
    return parseJsonEachRow<T>(result.text());
  }

  async queryTable(sql: string, params?: QueryParams): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
    const result = await this.#run((session) =>
      hasParams(params)
        ? session.queryBindAsync(sql, params, { format: 'JSONCompact' })
        : session.queryAsync(sql, { format: 'JSONCompact' }),
    );
    const text = result.text();
    if (text.trim().length === 0) return { columns: [], rows: [] };
    const doc = JSON.parse(text) as { meta: { name: string; type: string }[]; data: unknown[][] };
    return { columns: doc.meta.map(({ name, type }) => ({ name, type })), rows: doc.data };
  }

  async insert(table: string, jsonEachRow: string | Buffer): Promise<void> {
    assertTableName(table, 'embedded');
    if (!this.#sessions) throw new ClickHouseStoreError('The embedded store is closed', { reason: 'closed', store: 'embedded' });
    if (jsonEachRow.length === 0) return;
    const values = typeof jsonEachRow === 'string' ? Buffer.from(jsonEachRow, 'utf8') : jsonEachRow;
    await this.#run((session) => session.insert({ table, values, format: 'JSONEachRow', settings: INSERT_SETTINGS }));
  }

  async close(): Promise<void> {
    const sessions = this.#sessions;
    if (!sessions) return;
    this.#sessions = undefined;
    // chDB defers tearing down a connection until operations on it finish.
    for (const session of sessions) releaseSession(session);
  }
}
