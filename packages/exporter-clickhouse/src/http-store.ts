/*
 * HttpStore: a ClickHouse server through @clickhouse/client (HTTP interface).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { diag } from '@opentelemetry/api';
import {
  ClickHouseError,
  createClient,
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
  type ErrorLogParams,
  type LogParams,
  type Logger,
  type WarnLogParams,
} from '@clickhouse/client';
import { ClickHouseStoreError, assertIdentifier, assertTableName } from './errors.js';
import { DEFAULT_DATABASE, INSERT_SETTINGS, type AuditStore, type HttpStoreOptions, type QueryParams } from './store.js';

const logger = diag.createComponentLogger({ namespace: '@slm-audit/exporter-clickhouse' });

/** Routes the client's own logging (console by default) to the OpenTelemetry diag logger. */
class DiagClientLogger implements Logger {
  trace({ message, args }: LogParams): void {
    logger.verbose(`clickhouse client: ${message}`, args);
  }
  debug({ message, args }: LogParams): void {
    logger.debug(`clickhouse client: ${message}`, args);
  }
  info({ message, args }: LogParams): void {
    logger.info(`clickhouse client: ${message}`, args);
  }
  warn({ message, args, err }: WarnLogParams): void {
    logger.warn(`clickhouse client: ${message}`, args, err);
  }
  // Every failed request also reaches our caller as a ClickHouseStoreError (and the
  // exporter logs failed exports), so the client's copy is only worth a debug line.
  error({ message, args, err }: ErrorLogParams): void {
    logger.debug(`clickhouse client: ${message}: ${err.message}`, args);
  }
}

function toStoreError(err: unknown, queryId: string | undefined): ClickHouseStoreError {
  if (err instanceof ClickHouseStoreError) return err;
  if (err instanceof ClickHouseError) {
    const code = Number(err.code);
    return new ClickHouseStoreError(err.message, {
      reason: 'clickhouse',
      store: 'http',
      ...(Number.isFinite(code) ? { code } : {}),
      ...(err.type ? { type: err.type } : {}),
      ...(queryId !== undefined ? { queryId } : {}),
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ClickHouseStoreError(`ClickHouse request failed: ${message}`, {
    reason: 'connection',
    store: 'http',
    ...(queryId !== undefined ? { queryId } : {}),
    cause: err,
  });
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function clientConfig(options: HttpStoreOptions): ClickHouseClientConfigOptions {
  const config: ClickHouseClientConfigOptions = {
    url: options.url,
    application: 'slm-audit',
    log: { LoggerClass: DiagClientLogger },
    clickhouse_settings: {
      // Keep 64-bit integers (nanosecond timestamps, durations) exact in JSON results.
      output_format_json_quote_64bit_integers: 1,
      ...(options.clickhouseSettings as ClickHouseClientConfigOptions['clickhouse_settings']),
    },
  };
  if (options.username !== undefined) config.username = options.username;
  if (options.password !== undefined) config.password = options.password;
  if (options.requestTimeoutMs !== undefined) config.request_timeout = options.requestTimeoutMs;
  const tls = options.tls;
  if (tls && (tls.caCert !== undefined || tls.cert !== undefined || tls.key !== undefined)) {
    if (tls.caCert === undefined) {
      throw new ClickHouseStoreError('tls.caCert is required when tls.cert or tls.key is given', { reason: 'invalid_argument', store: 'http' });
    }
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      throw new ClickHouseStoreError('tls.cert and tls.key must be given together', { reason: 'invalid_argument', store: 'http' });
    }
    config.tls =
      tls.cert !== undefined && tls.key !== undefined
        ? { ca_cert: toBuffer(tls.caCert), cert: toBuffer(tls.cert), key: toBuffer(tls.key) }
        : { ca_cert: toBuffer(tls.caCert) };
  }
  return config;
}

export class HttpStore implements AuditStore {
  readonly kind = 'http' as const;
  readonly database: string;
  readonly #client: ClickHouseClient;
  readonly #insertSettings: Record<string, number>;
  #closed = false;

  private constructor(client: ClickHouseClient, database: string, userSettings: Record<string, unknown> | undefined) {
    this.#client = client;
    this.database = database;
    // A caller who chose async inserts (e.g. many small writers on one server) keeps them.
    const { async_insert, ...rest } = INSERT_SETTINGS;
    this.#insertSettings = userSettings && 'async_insert' in userSettings ? rest : { async_insert, ...rest };
  }

  /** Connects, creates the database if it is missing, and makes it the default for every request. */
  static async open(options: HttpStoreOptions): Promise<HttpStore> {
    if (typeof options?.url !== 'string' || options.url.length === 0) {
      throw new ClickHouseStoreError('HttpStore needs a url', { reason: 'invalid_argument', store: 'http' });
    }
    const database = assertIdentifier(options.database ?? DEFAULT_DATABASE, 'database name', 'http');
    const config = clientConfig(options);
    // The server rejects every request naming a database that does not exist yet,
    // so the check and the CREATE go through a client without one.
    const bootstrap = createClient(config);
    let queryId: string | undefined;
    try {
      queryId = randomUUID();
      const rs = await bootstrap.query({
        query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}',
        query_params: { db: database },
        format: 'JSONEachRow',
        query_id: queryId,
      });
      const [row] = await rs.json<{ n: string | number }>();
      if (Number(row?.n ?? 0) === 0) {
        queryId = randomUUID();
        await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\``, query_id: queryId });
      }
    } catch (err) {
      throw toStoreError(err, queryId);
    } finally {
      await bootstrap.close();
    }
    return new HttpStore(createClient({ ...config, database }), database, options.clickhouseSettings);
  }

  #check(): void {
    if (this.#closed) throw new ClickHouseStoreError('The HTTP store is closed', { reason: 'closed', store: 'http' });
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    this.#check();
    const queryId = randomUUID();
    try {
      await this.#client.command({ query: sql, query_id: queryId, ...(params ? { query_params: params } : {}) });
    } catch (err) {
      throw toStoreError(err, queryId);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    this.#check();
    const queryId = randomUUID();
    try {
      const rs = await this.#client.query({
        query: sql,
        format: 'JSONEachRow',
        query_id: queryId,
        ...(params ? { query_params: params } : {}),
      });
      return await rs.json<T>();
    } catch (err) {
      throw toStoreError(err, queryId);
    }
  }

  async queryTable(sql: string, params?: QueryParams): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
    this.#check();
    const queryId = randomUUID();
    try {
      const rs = await this.#client.query({
        query: sql,
        format: 'JSONCompact',
        query_id: queryId,
        ...(params ? { query_params: params } : {}),
      });
      const doc = await rs.json<unknown[]>();
      return { columns: (doc.meta ?? []).map(({ name, type }) => ({ name, type })), rows: doc.data };
    } catch (err) {
      throw toStoreError(err, queryId);
    }
  }

  async insert(table: string, jsonEachRow: string | Buffer): Promise<void> {
    assertTableName(table, 'http');
    this.#check();
    if (jsonEachRow.length === 0) return;
    const queryId = randomUUID();
    try {
      // exec() sends the bytes as they are; insert() would re-encode JSONEachRow rows as objects.
      const result = await this.#client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([toBuffer(jsonEachRow)], { objectMode: false }),
        query_id: queryId,
        clickhouse_settings: this.#insertSettings,
      });
      // Frees the socket; the body of a successful INSERT is empty.
      result.stream.resume();
      await new Promise<void>((resolveEnd, reject) => {
        result.stream.once('end', resolveEnd);
        result.stream.once('close', resolveEnd);
        result.stream.once('error', reject);
      });
    } catch (err) {
      throw toStoreError(err, queryId);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close();
  }
}
