/*
 * One contract, two stores: the same suite runs against EmbeddedStore (chDB in this
 * process) and HttpStore (the real @clickhouse/client, through a local HTTP server
 * that executes on the same engine).
 */
import { expect } from 'chai';
import { startClickHouseHttp, type ClickHouseHttpServer } from '../../../test/support/clickhouse-http.js';
import { ClickHouseStoreError, EmbeddedStore, HttpStore, openStore, type AuditStore } from '../src/index.js';
import { ENGINE_PATH, uniqueDatabase } from './helpers.js';

interface Harness {
  open(database: string): Promise<AuditStore>;
  /** Another store on the same engine, to inspect what the store under test did. */
  inspector(): AuditStore;
}

function contract(kind: 'embedded' | 'http', harness: () => Harness): void {
  describe(`AuditStore contract: ${kind}`, () => {
    let store: AuditStore;
    let database: string;

    before(async () => {
      database = uniqueDatabase(`contract_${kind}`);
      store = await harness().open(database);
      await store.exec('CREATE TABLE t (id UInt32, name String, big UInt64, tags Array(String), ts DateTime64(9)) ENGINE = MergeTree ORDER BY id');
    });

    after(async () => {
      await store.exec(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
      await store.close();
    });

    it('reports its kind and creates its database', async () => {
      expect(store.kind).to.equal(kind);
      expect(store.database).to.equal(database);
      const rows = await harness().inspector().query<{ n: string }>('SELECT count() AS n FROM system.databases WHERE name = {db:String}', { db: database });
      expect(rows[0]!.n).to.equal('1');
    });

    it('resolves unqualified names in its database', async () => {
      const [row] = await store.query<{ db: string }>('SELECT currentDatabase() AS db');
      expect(row!.db).to.equal(database);
    });

    it('inserts JSONEachRow from a string and a Buffer, and reads rows back as objects', async () => {
      await store.insert('t', '{"id":1,"name":"a","big":18446744073709551615,"tags":["x"],"ts":"1767323045.123456789"}\n');
      await store.insert(`${database}.t`, Buffer.from('{"id":2,"name":"b\\"c","big":1,"tags":[],"ts":"0000000000.000000001"}\n{"id":3,"name":"","big":0,"tags":["p","q"],"ts":"0000000001.500000000"}\n'));
      const rows = await store.query<{ id: number; name: string; big: string; tags: string[]; ns: string }>(
        'SELECT id, name, big, tags, toString(toUnixTimestamp64Nano(ts)) AS ns FROM t ORDER BY id',
      );
      expect(rows).to.deep.equal([
        { id: 1, name: 'a', big: '18446744073709551615', tags: ['x'], ns: '1767323045123456789' },
        { id: 2, name: 'b"c', big: '1', tags: [], ns: '1' },
        { id: 3, name: '', big: '0', tags: ['p', 'q'], ns: '1500000000' },
      ]);
    });

    it('ignores an empty insert', async () => {
      await store.insert('t', '');
      await store.insert('t', Buffer.alloc(0));
    });

    it('returns column names, types and positional rows for tables', async () => {
      const table = await store.queryTable('SELECT id, name, big FROM t WHERE id <= {max:UInt32} ORDER BY id', { max: 2 });
      expect(table.columns).to.deep.equal([
        { name: 'id', type: 'UInt32' },
        { name: 'name', type: 'String' },
        { name: 'big', type: 'UInt64' },
      ]);
      expect(table.rows).to.deep.equal([
        [1, 'a', '18446744073709551615'],
        [2, 'b"c', '1'],
      ]);
    });

    it('binds parameters as data: hostile strings never become SQL', async () => {
      const hostile = "x'; DROP TABLE t; --";
      const tricky = 'back\\slash\ttab\nnewline \'single\' "double" `tick` {brace:String} 😀';
      const rows = await store.query<{ a: string; b: string; n: number; arr: string[] }>(
        'SELECT {a:String} AS a, {b:String} AS b, {n:UInt32} AS n, {arr:Array(String)} AS arr',
        { a: hostile, b: tricky, n: 42, arr: [hostile, tricky] },
      );
      expect(rows).to.deep.equal([{ a: hostile, b: tricky, n: 42, arr: [hostile, tricky] }]);
      await store.exec('INSERT INTO t (id, name) VALUES ({id:UInt32}, {name:String})', { id: 10, name: hostile });
      const [row] = await store.query<{ name: string }>('SELECT name FROM t WHERE name = {name:String}', { name: hostile });
      expect(row!.name).to.equal(hostile);
      const [count] = await store.query<{ n: string }>('SELECT count() AS n FROM t');
      expect(Number(count!.n)).to.equal(4);
    });

    it('reports ClickHouse errors with code and name', async () => {
      const err = await store.query('SELECT * FROM no_such_table').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ClickHouseStoreError);
      const e = err as ClickHouseStoreError;
      expect(e.reason).to.equal('clickhouse');
      expect(e.store).to.equal(kind);
      expect(e.code).to.equal(60);
      expect(e.type).to.equal('UNKNOWN_TABLE');
      if (kind === 'http') expect(e.queryId).to.match(/^[0-9a-f-]{36}$/);

      const syntax = (await store.exec('SELEC 1').catch((x: unknown) => x)) as ClickHouseStoreError;
      expect(syntax.code).to.equal(62);
      expect(syntax.type).to.equal('SYNTAX_ERROR');

      const bad = (await store.insert('t', '{"id":"not a number"}\n').catch((x: unknown) => x)) as ClickHouseStoreError;
      expect(bad).to.be.instanceOf(ClickHouseStoreError);
      expect(bad.reason).to.equal('clickhouse');
      expect(bad.code).to.be.a('number');
    });

    it('rejects table names that are not plain identifiers before sending anything', async () => {
      for (const name of ['t; DROP TABLE t', '`t`', 'a.b.c', '']) {
        const err = (await store.insert(name, '{"id":1}\n').catch((x: unknown) => x)) as ClickHouseStoreError;
        expect(err.reason, name).to.equal('invalid_argument');
      }
    });

    it('rejects an invalid database name', async () => {
      const err = (await harness().open('bad-name; DROP').catch((x: unknown) => x)) as ClickHouseStoreError;
      expect(err).to.be.instanceOf(ClickHouseStoreError);
      expect(err.reason).to.equal('invalid_argument');
    });

    it('fails cleanly once closed', async () => {
      const other = await harness().open(database);
      await other.close();
      await other.close();
      for (const call of [() => other.query('SELECT 1'), () => other.exec('SELECT 1'), () => other.insert('t', '{"id":1}\n'), () => other.queryTable('SELECT 1')]) {
        const err = (await call().catch((x: unknown) => x)) as ClickHouseStoreError;
        expect(err).to.be.instanceOf(ClickHouseStoreError);
        expect(err.reason).to.equal('closed');
      }
    });
  });
}

describe('stores', () => {
  let embeddedInspector: EmbeddedStore;
  let server: ClickHouseHttpServer;

  before(async () => {
    embeddedInspector = await EmbeddedStore.open({ path: ENGINE_PATH, database: 'default' });
    server = await startClickHouseHttp({ path: ENGINE_PATH });
  });

  after(async () => {
    await server?.close();
    await embeddedInspector?.close();
  });

  contract('embedded', () => ({
    open: (database) => openStore({ path: ENGINE_PATH, database }),
    inspector: () => embeddedInspector,
  }));

  contract('http', () => ({
    open: (database) => openStore({ url: server.url, database }),
    inspector: () => embeddedInspector,
  }));

  describe('HttpStore specifics', () => {
    it('is an HttpStore for url options and an EmbeddedStore for path options', async () => {
      const db = uniqueDatabase('kinds');
      const http = await openStore({ url: server.url, database: db });
      const embedded = await openStore({ path: ENGINE_PATH, database: db });
      expect(http).to.be.instanceOf(HttpStore);
      expect(embedded).to.be.instanceOf(EmbeddedStore);
      await embedded.exec(`DROP DATABASE ${db}`);
      await http.close();
      await embedded.close();
    });

    it('reports wrong credentials as a ClickHouse authentication error', async () => {
      const err = (await openStore({ url: server.url, username: 'default', password: 'wrong' }).catch((x: unknown) => x)) as ClickHouseStoreError;
      expect(err).to.be.instanceOf(ClickHouseStoreError);
      expect(err.code).to.equal(516);
      expect(err.type).to.equal('AUTHENTICATION_FAILED');
    });

    it('reports an unreachable server as a connection error', async () => {
      const err = (await openStore({ url: 'http://127.0.0.1:1', requestTimeoutMs: 2000 }).catch((x: unknown) => x)) as ClickHouseStoreError;
      expect(err).to.be.instanceOf(ClickHouseStoreError);
      expect(err.reason).to.equal('connection');
    });

    it('validates TLS options', async () => {
      const noCa = (await openStore({ url: 'https://localhost:1', tls: { cert: 'c', key: 'k' } }).catch((x: unknown) => x)) as ClickHouseStoreError;
      expect(noCa.reason).to.equal('invalid_argument');
      const half = (await openStore({ url: 'https://localhost:1', tls: { caCert: 'ca', cert: 'c' } }).catch((x: unknown) => x)) as ClickHouseStoreError;
      expect(half.reason).to.equal('invalid_argument');
    });

    it('sends clickhouseSettings with every request', async () => {
      const store = await openStore({ url: server.url, database: 'default', clickhouseSettings: { max_threads: 3 } });
      const [row] = await store.query<{ v: string }>("SELECT getSetting('max_threads') AS v");
      expect(String(row!.v)).to.equal('3');
      await store.close();
    });
  });
});
