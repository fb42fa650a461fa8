/*
 * A minimal ClickHouse HTTP interface over an in-process chDB engine, so code using
 * the real @clickhouse/client can be tested without a server.
 *
 * What it implements is what @clickhouse/client sends: `GET /ping`; `POST /?query_id=…
 * &database=…&<settings>&param_<name>=…` with the statement in the body; inserts with
 * `query=INSERT … FORMAT <fmt>` in the URL and the rows in the body; Basic auth (or
 * X-ClickHouse-User/Key); gzip/deflate/br request bodies. Responses carry
 * X-ClickHouse-Query-Id, -Format, -Timezone and -Summary; errors are ClickHouse's
 * `Code: N. DB::Exception: … (NAME) (version …)` body with X-ClickHouse-Exception-Code
 * and the status ClickHouse would give. Not implemented: sessions (session_id),
 * multipart parameters, response compression, progress headers.
 *
 * Each request runs on its own chDB connection to the same data directory, so its
 * current database, settings and parameters (applied with SET) end with it, as they
 * do on a server. Requests run one at a time.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Session } from 'chdb';

export interface ClickHouseHttpOptions {
  /** An open session whose data directory the server uses (left open on close). */
  session?: Session;
  /** A data directory to open (closed on close). One of session or path. */
  path?: string;
  /** Default 0: any free port. */
  port?: number;
  host?: string;
  /** Accepted credentials; default user `default` with an empty password. */
  username?: string;
  password?: string;
}

export interface ClickHouseHttpServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  close(): Promise<void>;
}

/** Error names → HTTP status, as ClickHouse's exceptionCodeToHTTPStatus maps them. */
const STATUS_BY_ERROR: Record<string, number> = {
  REQUIRED_PASSWORD: 401,
  ...Object.fromEntries(
    ['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED'].map((n) => [n, 403]),
  ),
  ...Object.fromEntries(
    [
      'BAD_ARGUMENTS', 'CANNOT_COMPILE_REGEXP', 'CANNOT_PARSE_TEXT', 'CANNOT_PARSE_ESCAPE_SEQUENCE',
      'CANNOT_PARSE_QUOTED_STRING', 'CANNOT_PARSE_DATE', 'CANNOT_PARSE_DATETIME', 'CANNOT_PARSE_NUMBER',
      'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING', 'CANNOT_PARSE_IPV4', 'CANNOT_PARSE_IPV6',
      'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'CANNOT_PARSE_UUID', 'DUPLICATE_COLUMN', 'ILLEGAL_COLUMN',
      'UNKNOWN_ELEMENT_IN_AST', 'UNKNOWN_TYPE_OF_AST_NODE', 'THERE_IS_NO_COLUMN', 'TOO_DEEP_AST', 'TOO_BIG_AST',
      'UNEXPECTED_AST_STRUCTURE', 'SYNTAX_ERROR', 'INCORRECT_DATA', 'TYPE_MISMATCH', 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
    ].map((n) => [n, 400]),
  ),
  ...Object.fromEntries(
    [
      'UNKNOWN_TABLE', 'UNKNOWN_FUNCTION', 'UNKNOWN_IDENTIFIER', 'UNKNOWN_TYPE', 'UNKNOWN_STORAGE', 'UNKNOWN_DATABASE',
      'UNKNOWN_SETTING', 'UNKNOWN_DIRECTION_OF_SORTING', 'UNKNOWN_AGGREGATE_FUNCTION', 'UNKNOWN_FORMAT',
      'UNKNOWN_DATABASE_ENGINE', 'UNKNOWN_TYPE_OF_QUERY', 'UNKNOWN_ROLE',
    ].map((n) => [n, 404]),
  ),
  QUERY_IS_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  SOCKET_TIMEOUT: 503,
  CANNOT_OPEN_FILE: 503,
  CANNOT_SCHEDULE_TASK: 503,
  HTTP_LENGTH_REQUIRED: 411,
  TIMEOUT_EXCEEDED: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** URL parameters that are not settings. */
const NOT_SETTINGS = new Set([
  'query', 'query_id', 'database', 'default_format', 'session_id', 'session_timeout', 'session_check',
  'user', 'password', 'quota_key', 'role', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query',
]);

/** Formats chDB inserts from raw bytes without going through the SQL parser. */
const RAW_INSERT_FORMATS = new Set([
  'JSONEachRow', 'JSONCompactEachRow', 'CSV', 'CSVWithNames', 'TSV', 'TabSeparated', 'TSVWithNames', 'TabSeparatedWithNames',
]);
const INSERT_RE = /^\s*INSERT\s+INTO\s+([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)\s*(?:\(([^)]*)\))?\s*FORMAT\s+([A-Za-z]+)\s*$/i;
const TRAILING_FORMAT_RE = /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i;
const NAME_RE = /^[A-Za-z0-9_]+$/;

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface Failure {
  code: number;
  type: string;
  text: string;
}

function failureOf(err: unknown): Failure {
  if (err instanceof HttpError) return { code: err.code, type: err.type, text: `Code: ${err.code}. DB::Exception: ${err.message}. (${err.type})` };
  const raw = err instanceof Error ? err.message : String(err);
  const at = raw.indexOf('Code: ');
  const text = (at >= 0 ? raw.slice(at) : raw).trim();
  const code = /^Code: (\d+)\./.exec(text);
  const type = /\(([A-Z][A-Z0-9_]{2,})\)\s*$/.exec(text);
  if (code && type) return { code: Number(code[1]), type: type[1]!, text };
  return { code: 1001, type: 'STD_EXCEPTION', text: `Code: 1001. DB::Exception: ${text}. (STD_EXCEPTION)` };
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function contentType(format: string): string {
  if (/^JSON/i.test(format)) return 'application/json; charset=UTF-8';
  if (/^(TSV|TabSeparated)/i.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (/^CSV/i.test(format)) return 'text/csv; charset=UTF-8; header=absent';
  return 'text/plain; charset=UTF-8';
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  if (encoding === 'gzip') return promisify(zlib.gunzip)(body);
  if (encoding === 'deflate') return promisify(zlib.inflate)(body);
  if (encoding === 'br') return promisify(zlib.brotliDecompress)(body);
  throw new HttpError(48, 'NOT_IMPLEMENTED', `Content-Encoding ${encoding} is not supported by this server`);
}

function credentials(req: http.IncomingMessage, url: URL): { user: string; password: string } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const headerUser = req.headers['x-clickhouse-user'];
  if (typeof headerUser === 'string') return { user: headerUser, password: String(req.headers['x-clickhouse-key'] ?? '') };
  return { user: url.searchParams.get('user') ?? 'default', password: url.searchParams.get('password') ?? '' };
}

export async function startClickHouseHttp(options: ClickHouseHttpOptions): Promise<ClickHouseHttpServer> {
  if (!options.session === !options.path) throw new TypeError('startClickHouseHttp needs exactly one of session or path');
  const holder = options.session ?? new Session(options.path);
  const dataPath = holder.path;
  const username = options.username ?? 'default';
  const password = options.password ?? '';
  const [timezone = 'UTC', version = ''] = holder.query('SELECT timezone(), version()', 'TSV').trim().split('\t');

  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  async function execute(req: http.IncomingMessage, url: URL): Promise<{ body: Uint8Array; format: string; summary: Record<string, string> }> {
    const body = await readBody(req);
    if (String(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      throw new HttpError(48, 'NOT_IMPLEMENTED', 'multipart/form-data parameters are not supported by this server');
    }
    const params = url.searchParams;
    const urlQuery = params.get('query') ?? '';
    const text = body.toString('utf8');
    if (urlQuery.trim() === '' && text.trim() === '') throw new HttpError(62, 'SYNTAX_ERROR', 'Empty query');

    const assignments: string[] = [];
    if (req.method === 'GET') assignments.push('readonly = 2');
    for (const [key, value] of params) {
      if (key.startsWith('param_')) {
        const name = key.slice(6);
        if (!NAME_RE.test(name)) throw new HttpError(457, 'BAD_QUERY_PARAMETER', `Bad query parameter name ${JSON.stringify(name)}`);
        assignments.push(`param_${name} = ${sqlString(value)}`);
      } else if (!NOT_SETTINGS.has(key)) {
        if (!NAME_RE.test(key)) throw new HttpError(115, 'UNKNOWN_SETTING', `Unknown setting ${JSON.stringify(key)}`);
        assignments.push(`${key} = ${sqlString(value)}`);
      }
    }
    const defaultFormat = params.get('default_format') ?? 'TabSeparated';
    const database = params.get('database');

    const conn = new Session(dataPath);
    try {
      if (database) await conn.queryAsync(`USE \`${database.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``);
      if (assignments.length > 0) await conn.queryAsync(`SET ${assignments.join(', ')}`);
      const insert = urlQuery && body.length > 0 ? INSERT_RE.exec(urlQuery) : null;
      if (insert && RAW_INSERT_FORMATS.has(insert[3]!)) {
        const columns = insert[2]?.split(',').map((c) => c.trim()).filter(Boolean);
        const r = await conn.insert({
          table: insert[1]!,
          values: body,
          format: insert[3] as 'JSONEachRow',
          ...(columns && columns.length > 0 ? { columns } : {}),
        });
        return {
          body: new Uint8Array(0),
          format: defaultFormat,
          summary: { written_rows: String(r.rowsWritten), written_bytes: String(r.bytesWritten), elapsed_ns: String(Math.round(r.elapsed * 1e9)) },
        };
      }
      const sql = urlQuery ? (text.length > 0 ? `${urlQuery}\n${text}` : urlQuery) : text;
      const result = await conn.queryAsync(sql, { format: defaultFormat });
      const bytes = result.bytes();
      return {
        body: bytes,
        format: TRAILING_FORMAT_RE.exec(sql)?.[1] ?? defaultFormat,
        summary: {
          read_rows: String(result.rowsRead),
          read_bytes: String(result.bytesRead),
          result_bytes: String(bytes.length),
          elapsed_ns: String(Math.round(result.elapsed * 1e9)),
        },
      };
    } finally {
      conn.close();
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const queryId = url.searchParams.get('query_id') || randomUUID();
    const fail = (err: unknown): void => {
      const f = failureOf(err);
      res.writeHead(STATUS_BY_ERROR[f.type] ?? 500, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Exception-Code': String(f.code),
        'X-ClickHouse-Timezone': timezone,
      });
      res.end(`${f.text}${version ? ` (version ${version})` : ''}\n`);
    };

    if (url.pathname === '/ping' || (url.pathname === '/' && req.method !== 'POST' && !url.searchParams.has('query'))) {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' });
      res.end('Ok.\n');
      return;
    }
    if (url.pathname !== '/') {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end(`There is no handle ${url.pathname}\n`);
      return;
    }
    const who = credentials(req, url);
    if (who.user !== username || who.password !== password) {
      req.resume();
      fail(new HttpError(516, 'AUTHENTICATION_FAILED', `${who.user}: Authentication failed: password is incorrect, or there is no user with such name`));
      return;
    }
    serialized(() => execute(req, url)).then(
      ({ body, format, summary }) => {
        res.writeHead(200, {
          'Content-Type': contentType(format),
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Format': format,
          'X-ClickHouse-Timezone': timezone,
          'X-ClickHouse-Server-Display-Name': 'chdb',
          'X-ClickHouse-Summary': JSON.stringify({
            read_rows: '0', read_bytes: '0', written_rows: '0', written_bytes: '0', total_rows_to_read: '0',
            result_rows: '0', result_bytes: '0', elapsed_ns: '0', ...summary,
          }),
        });
        res.end(body);
      },
      fail,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await queue;
      if (!options.session) holder.close();
    },
  };
}
