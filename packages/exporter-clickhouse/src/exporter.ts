/*
 * ClickHouseSpanExporter: the OpenTelemetry SpanExporter that writes spans to
 * otel_traces and inference spans to slm_inferences. Meant to sit behind a
 * BatchSpanProcessor, which hands it whole batches.
 */
import { context, diag } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { isIdentifier } from './errors.js';
import { openStore } from './open-store.js';
import { INFERENCES_TABLE, TRACES_TABLE, ensureSchema, type SchemaOptions } from './schema.js';
import { SpanRowWriter } from './span-rows.js';
import type { AuditStore, StoreOptions } from './store.js';

const logger = diag.createComponentLogger({ namespace: '@slm-audit/exporter-clickhouse' });

export interface ClickHouseSpanExporterOptions {
  /** A store to write to; the exporter never closes a store it was given. */
  store?: AuditStore;
  /** Options to open a store with (on first export); the exporter closes it on shutdown. */
  storeOptions?: StoreOptions;
  /** Create the tables on first export if missing. Default true. */
  createSchema?: boolean;
  /** Database holding the tables; default the store's. */
  database?: string;
  /** otel_traces index options for the tables createSchema makes (see SchemaOptions). */
  schema?: Pick<SchemaOptions, 'collectorIndexes' | 'fullTextIndexes'>;
  /**
   * Largest number of spans per insert. A bigger batch is split into about equal
   * chunks whose inserts start while the next chunk's rows are built (mapping in
   * JavaScript overlaps the engine's parsing, and row buffers stay bounded). Default
   * 8192, startAudit's batch size: on two cores, splitting an 8192 batch in 2 or 4 did
   * not beat one insert per table (each insert writes a part at a fixed cost, and the
   * engine already keeps both cores busy), see docs/schema.md.
   */
  maxSpansPerInsert?: number;
}

/** Default for maxSpansPerInsert; see docs/schema.md (Insert path) for the measurements. */
export const DEFAULT_MAX_SPANS_PER_INSERT = 8192;

export class ClickHouseSpanExporter implements SpanExporter {
  readonly #storeOptions: StoreOptions | undefined;
  readonly #createSchema: boolean;
  readonly #database: string | undefined;
  readonly #schema: Pick<SchemaOptions, 'collectorIndexes' | 'fullTextIndexes'>;
  readonly #maxSpansPerInsert: number;
  #store: AuditStore | undefined;
  #ownsStore = false;
  #ready: Promise<AuditStore> | undefined;
  readonly #pending = new Set<Promise<void>>();
  // Row memory is reused between exports (one writer per concurrent export).
  readonly #writers: SpanRowWriter[] = [];
  #shutdown: Promise<void> | undefined;

  constructor(options: ClickHouseSpanExporterOptions) {
    if (!options?.store && !options?.storeOptions) {
      throw new TypeError('ClickHouseSpanExporter needs a store or storeOptions');
    }
    this.#store = options.store;
    this.#storeOptions = options.store ? undefined : options.storeOptions;
    this.#createSchema = options.createSchema ?? true;
    if (options.database !== undefined && !isIdentifier(options.database)) {
      throw new TypeError(`Invalid database name ${JSON.stringify(options.database)}`);
    }
    this.#database = options.database;
    this.#schema = { ...options.schema };
    const max = options.maxSpansPerInsert ?? DEFAULT_MAX_SPANS_PER_INSERT;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`Invalid maxSpansPerInsert ${JSON.stringify(options.maxSpansPerInsert)}`);
    this.#maxSpansPerInsert = max;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let called = false;
    const finish = (result: ExportResult): void => {
      if (called) return;
      called = true;
      try {
        resultCallback(result);
      } catch (err) {
        logger.error('export result callback threw', err);
      }
    };
    if (this.#shutdown) {
      finish({ code: ExportResultCode.FAILED, error: new Error('ClickHouseSpanExporter is shut down') });
      return;
    }
    // Suppressed so the store's own I/O (HTTP requests, if instrumented) makes no spans
    // that would come back here.
    let written: Promise<void>;
    try {
      written = context.with(suppressTracing(context.active()), () => this.#write(spans));
    } catch (err) {
      written = Promise.reject(err);
    }
    const work = written
      .then(
        () => finish({ code: ExportResultCode.SUCCESS }),
        (err: unknown) => {
          const error = err instanceof Error ? err : new Error(String(err));
          logger.error(`export of ${spans?.length ?? 0} spans failed: ${error.message}`, error);
          finish({ code: ExportResultCode.FAILED, error });
        },
      );
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Resolves when every export started so far has finished. */
  async forceFlush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Waits for pending exports, then closes the store if this exporter opened it. Later exports fail. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  async #close(): Promise<void> {
    await this.forceFlush();
    if (this.#ready) await this.#ready.catch(() => undefined);
    if (this.#ownsStore && this.#store) {
      const store = this.#store;
      this.#store = undefined;
      await store.close();
    }
  }

  async #write(spans: readonly ReadableSpan[]): Promise<void> {
    if (spans.length === 0) return;
    const store = await this.#storeReady();
    const database = this.#database ?? store.database;
    const traces = `${database}.${TRACES_TABLE}`;
    const inferences = `${database}.${INFERENCES_TABLE}`;
    // About equal chunks of at most maxSpansPerInsert spans. Each chunk's inserts start
    // as soon as its rows exist (the engine works on its own threads) while the next
    // chunk is mapped here.
    const chunks = Math.ceil(spans.length / this.#maxSpansPerInsert);
    const size = Math.ceil(spans.length / chunks);
    const inserts: Promise<void>[] = [];
    const writers: SpanRowWriter[] = [];
    let mapped = false;
    try {
      for (let start = 0; start < spans.length; start += size) {
        const writer = this.#writers.pop() ?? new SpanRowWriter();
        writers.push(writer);
        const rows = writer.write(chunks === 1 ? spans : spans.slice(start, start + size));
        inserts.push(store.insert(traces, rows.traces));
        if (rows.inferenceCount > 0) inserts.push(store.insert(inferences, rows.inferences));
      }
      mapped = true;
    } finally {
      // Every insert settles before the export reports, so shutdown never closes the
      // store under an insert, and no writer's memory is reused while a store may
      // still read it. SUCCESS means every row of the batch is readable.
      const results = await Promise.allSettled(inserts);
      if (mapped) {
        for (const r of results) if (r.status === 'rejected') throw r.reason;
        // Only after success: a failed request might not have let go of the bytes yet.
        this.#writers.push(...writers);
      }
    }
  }

  #storeReady(): Promise<AuditStore> {
    this.#ready ??= this.#open();
    return this.#ready;
  }

  async #open(): Promise<AuditStore> {
    try {
      if (!this.#store) {
        this.#store = await openStore(this.#storeOptions!);
        this.#ownsStore = true;
      }
      if (this.#createSchema) await ensureSchema(this.#store, { ...this.#schema, ...(this.#database ? { database: this.#database } : {}) });
      return this.#store;
    } catch (err) {
      // Retried by the next export; an opened store is kept and reused.
      this.#ready = undefined;
      throw err;
    }
  }
}
