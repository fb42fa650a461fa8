/*
 * startAudit: a ready tracing pipeline for audit spans, built with
 * @opentelemetry/sdk-node. Heavy modules are imported when startAudit runs, not when
 * the SDK loads, and the ClickHouse exporter only when asked for: it is an optional
 * peer the SDK has no build-time dependency on.
 */
import { trace, type TracerProvider } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AuditHandle, ClickHouseOptions, OtlpOptions, StartAuditOptions } from './types.js';
import { configureAudit, getAuditConfig } from './config.js';
import { logger } from './diag.js';

/** What the SDK uses of @slm-audit/exporter-clickhouse. */
interface AuditStore {
  close(): Promise<void>;
}
interface ClickHouseModule {
  openStore(options: { path?: string; url?: string; username?: string; password?: string; database?: string }): Promise<AuditStore>;
  ClickHouseSpanExporter: new (options: { store: AuditStore; createSchema?: boolean }) => SpanExporter;
}

// A variable, not a literal: TypeScript must not resolve (or depend on) the package.
const CLICKHOUSE_PACKAGE: string = '@slm-audit/exporter-clickhouse';

type OtlpProtocol = NonNullable<OtlpOptions['protocol']>;
const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';
const TRACES_PATH = '/v1/traces';
/** Embedded store directory when neither path nor url is given (the CLI's default too). */
export const DEFAULT_CLICKHOUSE_PATH = '.slm-audit';

/**
 * BatchSpanProcessor settings for the ClickHouse exporter unless `batch` says otherwise.
 * ClickHouse writes a new part per insert, with a fixed cost (~10–30 ms per table on
 * the embedded engine, even for one row), so it wants few large inserts: 8192 spans
 * per export ran ~3× faster than the SDK's default 512 in bench/exporter-throughput.ts.
 * The queue holds several batches so bursts are not dropped while one is written.
 */
export const CLICKHOUSE_BATCH_DEFAULTS = {
  maxExportBatchSize: 8192,
  maxQueueSize: 65_536,
  scheduledDelayMillis: 1000,
} as const;

/** The ClickHouse processor's settings: the user's `batch`, over CLICKHOUSE_BATCH_DEFAULTS. */
export function clickhouseBatchConfig(batch: StartAuditOptions['batch']): NonNullable<StartAuditOptions['batch']> {
  const config = { ...CLICKHOUSE_BATCH_DEFAULTS, ...batch };
  // A smaller queue of the user's caps our default batch size (the processor would warn).
  if (batch?.maxExportBatchSize === undefined && config.maxExportBatchSize > config.maxQueueSize) {
    config.maxExportBatchSize = config.maxQueueSize;
  }
  return config;
}

/** The exporter, and the store startAudit opened for it (the exporter does not close a store it is given). */
async function clickhouseExporter(options: ClickHouseOptions): Promise<{ exporter: SpanExporter; store?: AuditStore }> {
  if (options.exporter !== undefined) return { exporter: options.exporter };
  let mod: ClickHouseModule;
  try {
    mod = (await import(CLICKHOUSE_PACKAGE)) as ClickHouseModule;
  } catch (err) {
    throw new Error(`startAudit({ clickhouse }) needs the optional package ${CLICKHOUSE_PACKAGE}; install it`, {
      cause: err,
    });
  }
  if (typeof mod.openStore !== 'function' || typeof mod.ClickHouseSpanExporter !== 'function') {
    throw new Error(`${CLICKHOUSE_PACKAGE} does not export openStore and ClickHouseSpanExporter`);
  }
  const storeOptions: Parameters<ClickHouseModule['openStore']>[0] = {};
  if (options.url !== undefined) storeOptions.url = options.url;
  else storeOptions.path = options.path ?? DEFAULT_CLICKHOUSE_PATH;
  if (options.username !== undefined) storeOptions.username = options.username;
  if (options.password !== undefined) storeOptions.password = options.password;
  if (options.database !== undefined) storeOptions.database = options.database;
  const store = await mod.openStore(storeOptions);
  try {
    const exporterOptions: { store: AuditStore; createSchema?: boolean } = { store };
    if (options.createSchema !== undefined) exporterOptions.createSchema = options.createSchema;
    return { exporter: new mod.ClickHouseSpanExporter(exporterOptions), store };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}

interface OtlpSettings {
  url?: string;
  headers?: Record<string, string>;
  protocol: OtlpProtocol;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/** A bare origin gets the traces path, as OTEL_EXPORTER_OTLP_ENDPOINT does. */
function tracesUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.pathname === '/' || parsed.pathname === '') {
      parsed.pathname = TRACES_PATH;
      return parsed.toString();
    }
  } catch {
    logger.warn(`otlp.url "${url}" is not a valid URL; passed to the exporter as is`);
  }
  return url;
}

/** Whether and how to export with OTLP; undefined means off. */
export function otlpSettings(option: StartAuditOptions['otlp'], env: NodeJS.ProcessEnv = process.env): OtlpSettings | undefined {
  if (option === false) return undefined;
  const fromEnv =
    nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) !== undefined || nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']) !== undefined;
  if (option === undefined && !fromEnv) return undefined;
  const given = typeof option === 'object' && option !== null ? option : {};
  const requested =
    given.protocol ?? nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) ?? nonEmpty(env['OTEL_EXPORTER_OTLP_PROTOCOL']);
  let protocol = DEFAULT_OTLP_PROTOCOL;
  if (requested === 'http/json' || requested === 'http/protobuf') protocol = requested;
  else if (requested !== undefined) logger.warn(`OTLP protocol "${requested}" is not supported by startAudit; using ${DEFAULT_OTLP_PROTOCOL}`);
  const settings: OtlpSettings = { protocol };
  // Without a url the exporter reads the OTEL_EXPORTER_OTLP_* variables itself.
  if (given.url !== undefined) settings.url = tracesUrl(given.url);
  if (given.headers !== undefined) settings.headers = given.headers;
  return settings;
}

async function otlpExporter(settings: OtlpSettings): Promise<SpanExporter> {
  const config: { url?: string; headers?: Record<string, string> } = {};
  if (settings.url !== undefined) config.url = settings.url;
  if (settings.headers !== undefined) config.headers = settings.headers;
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(config);
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(config);
}

/**
 * Set up tracing for audit records: a NodeSDK (AsyncLocalStorage context, resource
 * detection, service name) whose TracerProvider sends spans through batch processors
 * to ClickHouse and/or OTLP, plus any extra processors. Only traces: metrics and logs
 * are left to the application. Also makes `content`/`sealers` the process defaults and
 * routes traceInference to this provider even if another global one was registered
 * first.
 */
export async function startAudit(options: StartAuditOptions = {}): Promise<AuditHandle> {
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const processors: SpanProcessor[] = [];
  const exporters: SpanExporter[] = [];
  const stores: AuditStore[] = [];
  try {
    if (options.clickhouse !== undefined && options.clickhouse !== false) {
      const { exporter, store } = await clickhouseExporter(options.clickhouse === true ? {} : options.clickhouse);
      if (store !== undefined) stores.push(store);
      exporters.push(exporter);
      processors.push(new BatchSpanProcessor(exporter, clickhouseBatchConfig(options.batch)));
    }
    const otlp = otlpSettings(options.otlp);
    if (otlp !== undefined) {
      const exporter = await otlpExporter(otlp);
      exporters.push(exporter);
      processors.push(new BatchSpanProcessor(exporter, options.batch));
    }
  } catch (err) {
    await Promise.all(stores.map((store) => store.close().catch(() => {})));
    throw err;
  }
  if (options.spanProcessors !== undefined) processors.push(...options.spanProcessors);
  if (processors.length === 0) {
    logger.warn('startAudit: no clickhouse, otlp or spanProcessors configured; audit spans are not exported');
  }

  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors: processors,
    // Empty lists, not omitted: omitted means "configure OTLP metrics and logs from env".
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  // NodeSDK keeps its provider private; it is the global one unless another came first.
  const own = (sdk as unknown as { _tracerProvider?: TracerProvider })._tracerProvider;
  const tracerProvider = own ?? trace.getTracerProvider();

  const previous = getAuditConfig();
  configureAudit({
    ...previous,
    content: options.content ?? previous.content,
    sealers: options.sealers ?? previous.sealers,
    tracerProvider: own ?? previous.tracerProvider,
  });

  let stopped: Promise<void> | undefined;
  return {
    tracerProvider,
    async forceFlush(): Promise<void> {
      await Promise.all(processors.map((p) => p.forceFlush()));
      // A BatchSpanProcessor's forceFlush does not wait for an export its timer already
      // started; the exporters know what is still in flight.
      await Promise.all(exporters.map((e) => e.forceFlush?.()));
    },
    shutdown(): Promise<void> {
      stopped ??= (async () => {
        try {
          await sdk.shutdown();
        } finally {
          // After the processors flushed into them.
          for (const store of stores) {
            await store.close().catch((err: unknown) => logger.error('closing the ClickHouse store failed', err));
          }
          const current = getAuditConfig();
          if (own !== undefined && current.tracerProvider === own) {
            const { tracerProvider: _ours, ...rest } = current;
            configureAudit(rest);
          }
          const global = trace.getTracerProvider() as TracerProvider & { getDelegate?(): TracerProvider };
          if (own !== undefined && global.getDelegate?.() === own) trace.disable();
        }
      })();
      return stopped;
    },
  };
}
