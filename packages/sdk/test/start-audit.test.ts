import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_AUDIT_HASH_KEY_ID,
  ATTR_AUDIT_TENANT_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_SERVICE_NAME,
} from '@slm-audit/semconv';
import { getAuditConfig, startAudit, traceInference, withAuditContext, type AuditHandle } from '../src/index.js';
import { otlpSettings } from '../src/start-audit.js';
import { useDiag, withEnv } from './support.js';

interface Received {
  method: string;
  url: string;
  contentType: string;
  body: Buffer;
}

/** A stand-in OTLP/HTTP collector on a free local port. */
async function collector(): Promise<{ url: string; requests: Received[]; close(): Promise<void> }> {
  const requests: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      requests.push({ method: req.method ?? '', url: req.url ?? '', contentType, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': contentType });
      res.end(contentType.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const OTLP_ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_PROTOCOL: undefined,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: undefined,
  OTEL_SERVICE_NAME: undefined,
  OTEL_SDK_DISABLED: undefined,
};

describe('startAudit', function () {
  const diag = useDiag();
  let handle: AuditHandle | undefined;
  let restoreEnv: (() => void) | undefined;
  // NodeSDK registers a context manager and propagator; undo that if nothing was there before.
  let contextWasFree = false;
  let propagatorWasFree = false;

  before(() => {
    const probe = new AsyncLocalStorageContextManager();
    contextWasFree = context.setGlobalContextManager(probe);
    if (contextWasFree) context.disable();
    propagatorWasFree = propagation.setGlobalPropagator({ inject() {}, extract: (c) => c, fields: () => [] });
    if (propagatorWasFree) propagation.disable();
  });
  after(() => {
    if (contextWasFree) context.disable();
    if (propagatorWasFree) propagation.disable();
  });
  beforeEach(() => {
    restoreEnv = withEnv(OTLP_ENV);
  });
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
    restoreEnv?.();
  });

  it('sends audit spans to extra processors, with the service name and content defaults', async () => {
    const exporter = new InMemorySpanExporter();
    handle = await startAudit({
      serviceName: 'audit-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      content: { policy: 'full', hashKey: 'k', hashKeyId: 'start-audit' },
    });
    expect(getAuditConfig().tracerProvider).to.equal(handle.tracerProvider);
    await withAuditContext({ tenantId: 'acme' }, () =>
      traceInference({ provider: 'llama.cpp', model: 'qwen-test', prompt: 'hello' }, () => 'ok'),
    );
    await handle.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans).to.have.length(1);
    const span = spans[0]!;
    expect(span.name).to.equal('chat qwen-test');
    expect(span.resource.attributes[ATTR_SERVICE_NAME]).to.equal('audit-test');
    expect(span.attributes).to.include({ [ATTR_AUDIT_TENANT_ID]: 'acme', [ATTR_AUDIT_HASH_KEY_ID]: 'start-audit' });
    expect(span.attributes[ATTR_GEN_AI_INPUT_MESSAGES]).to.equal('[{"role":"user","parts":[{"type":"text","content":"hello"}]}]');
    // The provider is the global one too.
    expect(trace.getTracerProvider().getTracer('x')).to.not.equal(undefined);

    await handle.shutdown();
    expect(getAuditConfig().tracerProvider).to.equal(undefined);
    // Content defaults stay.
    expect(getAuditConfig().content?.hashKeyId).to.equal('start-audit');
    handle = undefined;
  });

  it('flushes its processors on forceFlush', async () => {
    const exporter = new InMemorySpanExporter();
    const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    handle = await startAudit({
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 })],
      content: { hashKey: 'k' },
    });
    await traceInference({ provider: 'p', model: 'batched' }, () => 'ok');
    expect(exporter.getFinishedSpans()).to.have.length(0);
    await handle.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).to.deep.equal(['chat batched']);
  });

  it('waits on forceFlush for an export the batch timer already started', async () => {
    // An exporter that takes a while, like an insert into ClickHouse.
    const slow = {
      exported: [] as string[],
      inFlight: new Set<Promise<void>>(),
      export(spans: { name: string }[], done: (r: { code: number }) => void): void {
        const work = new Promise<void>((r) => setTimeout(r, 200)).then(() => {
          slow.exported.push(...spans.map((s) => s.name));
          done({ code: 0 });
        });
        slow.inFlight.add(work);
        void work.finally(() => slow.inFlight.delete(work));
      },
      async forceFlush(): Promise<void> {
        await Promise.all([...slow.inFlight]);
      },
      async shutdown(): Promise<void> {
        await slow.forceFlush();
      },
    };
    handle = await startAudit({ clickhouse: { exporter: slow as never }, batch: { scheduledDelayMillis: 10 }, content: { hashKey: 'k' } });
    await traceInference({ provider: 'p', model: 'slow' }, () => 'ok');
    await new Promise((r) => setTimeout(r, 60)); // the timer has handed the batch over
    expect(slow.inFlight.size).to.equal(1);
    await handle.forceFlush();
    expect(slow.exported).to.deep.equal(['chat slow']);
  });

  it('uses a ready ClickHouse exporter without loading the package', async () => {
    const exporter = new InMemorySpanExporter();
    handle = await startAudit({ clickhouse: { exporter }, batch: { scheduledDelayMillis: 60_000 }, content: { hashKey: 'k' } });
    await traceInference({ provider: 'p', model: 'to-clickhouse' }, () => 'ok');
    await handle.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).to.deep.equal(['chat to-clickhouse']);
  });

  it('exports OTLP http/json to the given url', async () => {
    const server = await collector();
    try {
      handle = await startAudit({ otlp: { url: server.url, protocol: 'http/json' }, content: { hashKey: 'k' } });
      await traceInference({ provider: 'p', model: 'json-model' }, () => 'ok');
      await handle.forceFlush();
      expect(server.requests).to.have.length(1);
      const [request] = server.requests;
      expect(request!.method).to.equal('POST');
      expect(request!.url).to.equal('/v1/traces');
      expect(request!.contentType).to.match(/^application\/json/);
      const body = JSON.parse(request!.body.toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }>;
      };
      expect(body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name).to.equal('chat json-model');
    } finally {
      await handle?.shutdown();
      handle = undefined;
      await server.close();
    }
  });

  it('exports OTLP http/protobuf when the environment asks for it', async () => {
    const server = await collector();
    restoreEnv?.();
    restoreEnv = withEnv({
      ...OTLP_ENV,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${server.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    });
    try {
      handle = await startAudit({ content: { hashKey: 'k' } }); // otlp on because of the endpoint variable
      await traceInference({ provider: 'p', model: 'proto-model' }, () => 'ok');
      await handle.forceFlush();
      expect(server.requests).to.have.length(1);
      const [request] = server.requests;
      expect(request!.method).to.equal('POST');
      expect(request!.url).to.equal('/v1/traces');
      expect(request!.contentType).to.equal('application/x-protobuf');
      // Protobuf strings are raw UTF-8 in the message.
      expect(request!.body.includes(Buffer.from('chat proto-model'))).to.equal(true);
      expect(() => JSON.parse(request!.body.toString('utf8'))).to.throw();
    } finally {
      await handle?.shutdown();
      handle = undefined;
      await server.close();
    }
  });

  it('warns when nothing would receive the spans', async () => {
    handle = await startAudit({ content: { hashKey: 'k' } });
    expect(diag.some((d) => d.level === 'warn' && d.message.includes('no clickhouse, otlp or spanProcessors'))).to.equal(true);
  });

});

describe('otlpSettings', () => {
  it('is off unless asked for or an endpoint variable is set', () => {
    expect(otlpSettings(undefined, {})).to.equal(undefined);
    expect(otlpSettings(false, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).to.equal(undefined);
    expect(otlpSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).to.deep.equal({ protocol: 'http/protobuf' });
    expect(otlpSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces' })).to.deep.equal({ protocol: 'http/protobuf' });
    expect(otlpSettings(true, {})).to.deep.equal({ protocol: 'http/protobuf' });
  });

  it('takes the protocol from the option, then the traces variable, then the general one', () => {
    expect(otlpSettings(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })!.protocol).to.equal('http/json');
    expect(
      otlpSettings(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })!.protocol,
    ).to.equal('http/protobuf');
    expect(otlpSettings({ protocol: 'http/json' }, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })!.protocol).to.equal('http/json');
    expect(otlpSettings(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })!.protocol).to.equal('http/protobuf');
  });

  it('appends /v1/traces to a bare origin only', () => {
    expect(otlpSettings({ url: 'http://collector:4318' }, {})!.url).to.equal('http://collector:4318/v1/traces');
    expect(otlpSettings({ url: 'http://collector:4318/' }, {})!.url).to.equal('http://collector:4318/v1/traces');
    expect(otlpSettings({ url: 'https://gw.example/otlp/v1/traces' }, {})!.url).to.equal('https://gw.example/otlp/v1/traces');
  });
});
