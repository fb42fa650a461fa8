/*
 * Test helpers: an in-memory tracer provider, a context manager installed only for
 * the suites that ask (hooks inside describe, so other packages' tests are not
 * touched), and a diag logger that records what the SDK says.
 */
import { context, diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { configureAudit, type AuditConfig, type ContentOptions } from '../src/index.js';
import { resetWarnings } from '../src/diag.js';

export interface Recorder {
  exporter: InMemorySpanExporter;
  provider: BasicTracerProvider;
  /** A config routing spans to this recorder (plus content options). */
  config(content?: ContentOptions, extra?: Omit<AuditConfig, 'content' | 'tracerProvider'>): AuditConfig;
  spans(): ReadableSpan[];
  /** The only finished span; fails when there is not exactly one. */
  only(): ReadableSpan;
  reset(): void;
}

export const TEST_HASH_KEY = 'test-hash-key';

export function recorder(): Recorder {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    exporter,
    provider,
    config: (content, extra) => ({ ...extra, tracerProvider: provider, content: { hashKey: TEST_HASH_KEY, ...content } }),
    spans: () => exporter.getFinishedSpans(),
    only() {
      const spans = exporter.getFinishedSpans();
      if (spans.length !== 1) throw new Error(`expected one span, got ${spans.length}`);
      return spans[0]!;
    },
    reset: () => exporter.reset(),
  };
}

/** Registers AsyncLocalStorage for the enclosing suite, if nothing else is registered. */
export function useContextManager(): void {
  let ours = false;
  before(() => {
    ours = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  after(() => {
    if (ours) context.disable();
  });
}

export interface DiagRecord {
  level: 'error' | 'warn' | 'info' | 'debug' | 'verbose';
  message: string;
}

/** Records diag output during each test of the enclosing suite. */
export function useDiag(): DiagRecord[] {
  const records: DiagRecord[] = [];
  const make =
    (level: DiagRecord['level']) =>
    (message: string, ...args: unknown[]): void => {
      records.push({ level, message: [message, ...args.map(String)].join(' ') });
    };
  const logger: DiagLogger = {
    error: make('error'),
    warn: make('warn'),
    info: make('info'),
    debug: make('debug'),
    verbose: make('verbose'),
  };
  beforeEach(() => {
    records.length = 0;
    resetWarnings();
    diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  });
  afterEach(() => {
    diag.disable();
  });
  return records;
}

/** Sets environment variables for each test of the enclosing suite and restores them. */
export function withEnv(vars: Record<string, string | undefined>): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const key of Object.keys(vars)) {
    saved[key] = process.env[key];
    if (vars[key] === undefined) delete process.env[key];
    else process.env[key] = vars[key];
  }
  // Environment is read when a configuration is resolved: start from fresh defaults.
  configureAudit({});
  return () => {
    for (const key of Object.keys(saved)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    configureAudit({});
  };
}

/** Parses a JSON string attribute. */
export function json(value: unknown): unknown {
  if (typeof value !== 'string') throw new Error(`expected a JSON string attribute, got ${typeof value}`);
  return JSON.parse(value);
}
