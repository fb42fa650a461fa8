/*
 * The exporter over HTTP with the real @clickhouse/client, and the local HTTP
 * server the HTTP tests rely on.
 */
import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { ExportResultCode } from '@opentelemetry/core';
import { startClickHouseHttp, type ClickHouseHttpServer } from '../../../test/support/clickhouse-http.js';
import { ClickHouseSpanExporter, EmbeddedStore, HttpStore } from '../src/index.js';
import { ENGINE_PATH, exportSpans, makeSpans, uniqueDatabase } from './helpers.js';

describe('over HTTP', () => {
  let server: ClickHouseHttpServer;
  let inspector: EmbeddedStore;

  before(async () => {
    inspector = await EmbeddedStore.open({ path: ENGINE_PATH, database: 'default' });
    server = await startClickHouseHttp({ path: ENGINE_PATH, username: 'audit', password: 's3cret' });
  });

  after(async () => {
    await server.close();
    await inspector.close();
  });

  it('exports the same rows through HttpStore as through EmbeddedStore', async () => {
    const spans = makeSpans().all;
    const viaHttp = uniqueDatabase('via_http');
    const viaEmbedded = uniqueDatabase('via_embedded');
    const http = await HttpStore.open({ url: server.url, username: 'audit', password: 's3cret', database: viaHttp });
    const embedded = await EmbeddedStore.open({ path: ENGINE_PATH, database: viaEmbedded });
    try {
      for (const store of [http, embedded]) {
        const exporter = new ClickHouseSpanExporter({ store });
        const result = await exportSpans(exporter, spans);
        expect(result.code, result.error?.message).to.equal(ExportResultCode.SUCCESS);
        await exporter.shutdown();
      }
      for (const [table, key] of [
        ['otel_traces', 'SpanId'],
        ['slm_inferences', 'span_id'],
        ['otel_traces_trace_id_ts', 'TraceId'],
      ] as const) {
        const sql = (db: string) => `SELECT * FROM ${db}.${table} ORDER BY ${key}`;
        const a = await inspector.query(sql(viaHttp));
        const b = await inspector.query(sql(viaEmbedded));
        expect(a.length, table).to.be.greaterThan(0);
        expect(a, table).to.deep.equal(b);
      }
    } finally {
      await inspector.exec(`DROP DATABASE IF EXISTS ${viaHttp}`);
      await inspector.exec(`DROP DATABASE IF EXISTS ${viaEmbedded}`);
      await http.close();
      await embedded.close();
    }
  });

  describe('the local ClickHouse HTTP server', () => {
    const auth = { Authorization: `Basic ${Buffer.from('audit:s3cret').toString('base64')}` };

    it('answers /ping', async () => {
      const res = await fetch(`${server.url}/ping`);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal('Ok.\n');
    });

    it('runs a POSTed query and answers with ClickHouse headers', async () => {
      const res = await fetch(`${server.url}/?query_id=q-123&default_format=JSONEachRow&param_x=a%5Ctb`, {
        method: 'POST',
        headers: auth,
        body: 'SELECT {x:String} AS x, currentDatabase() AS db',
      });
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-clickhouse-query-id')).to.equal('q-123');
      expect(res.headers.get('x-clickhouse-format')).to.equal('JSONEachRow');
      expect(res.headers.get('x-clickhouse-timezone')).to.be.a('string');
      expect(JSON.parse(res.headers.get('x-clickhouse-summary')!)).to.include.keys('read_rows', 'written_rows', 'elapsed_ns');
      // The parameter arrives escaped (\t) and is bound as the tab it stands for.
      expect(JSON.parse(await res.text())).to.deep.equal({ x: 'a\tb', db: 'default' });
    });

    it('answers errors with the exception code header, the status ClickHouse uses and its body format', async () => {
      const res = await fetch(`${server.url}/?database=no_such_db`, { method: 'POST', headers: auth, body: 'SELECT 1' });
      expect(res.status).to.equal(404);
      expect(res.headers.get('x-clickhouse-exception-code')).to.equal('81');
      expect(await res.text()).to.match(/^Code: 81\. DB::Exception: .*\(UNKNOWN_DATABASE\) \(version [\d.]+\)\n$/s);

      const syntax = await fetch(server.url, { method: 'POST', headers: auth, body: 'SELEC 1' });
      expect(syntax.status).to.equal(400);
      expect(syntax.headers.get('x-clickhouse-exception-code')).to.equal('62');

      const denied = await fetch(server.url, { method: 'POST', body: 'SELECT 1' });
      expect(denied.status).to.equal(403);
      expect(denied.headers.get('x-clickhouse-exception-code')).to.equal('516');
    });

    it('inserts rows sent in the body with the INSERT in the URL, gzip-compressed or not', async () => {
      const db = uniqueDatabase('srv_insert');
      await inspector.exec(`CREATE DATABASE ${db}`);
      await inspector.exec(`CREATE TABLE ${db}.t (id UInt32, s String) ENGINE = MergeTree ORDER BY id`);
      try {
        const query = encodeURIComponent('INSERT INTO t FORMAT JSONEachRow');
        const plain = await fetch(`${server.url}/?database=${db}&query=${query}`, { method: 'POST', headers: auth, body: '{"id":1,"s":"a"}\n' });
        expect(plain.status).to.equal(200);
        expect(JSON.parse(plain.headers.get('x-clickhouse-summary')!).written_rows).to.equal('1');
        const zipped = await fetch(`${server.url}/?database=${db}&query=${query}`, {
          method: 'POST',
          headers: { ...auth, 'Content-Encoding': 'gzip' },
          body: gzipSync('{"id":2,"s":"b"}\n{"id":3,"s":"c"}\n'),
        });
        expect(zipped.status).to.equal(200);
        expect(await inspector.query(`SELECT id, s FROM ${db}.t ORDER BY id`)).to.deep.equal([
          { id: 1, s: 'a' },
          { id: 2, s: 'b' },
          { id: 3, s: 'c' },
        ]);
      } finally {
        await inspector.exec(`DROP DATABASE ${db}`);
      }
    });

    it('treats GET as read-only, as ClickHouse does', async () => {
      const ok = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT 40 + 2')}`, { headers: auth });
      expect(await ok.text()).to.equal('42\n');
      const write = await fetch(`${server.url}/?query=${encodeURIComponent('CREATE DATABASE should_not_exist')}`, { headers: auth });
      expect(write.status).to.not.equal(200);
      expect(await inspector.query("SELECT name FROM system.databases WHERE name = 'should_not_exist'")).to.deep.equal([]);
    });
  });
});
