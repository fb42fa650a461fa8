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
import { INFERENCES_TABLE, TRACES_TABLE, ensureSchema } from './schema.js';
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
}

export class ClickHouseSpanExporter implements SpanExporter {
  readonly #storeOptions: StoreOptions | undefined;
  readonly #createSchema: boolean;
  readonly #database: string | undefined;
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
    const writer = this.#writers.pop() ?? new SpanRowWriter();
    const rows = writer.write(spans);
    const inserts = [store.insert(`${database}.${TRACES_TABLE}`, rows.traces)];
    if (rows.inferenceCount > 0) inserts.push(store.insert(`${database}.${INFERENCES_TABLE}`, rows.inferences));
    // Both settle before the export reports, so shutdown never closes the store under an
    // insert, and the writer's memory is not reused while a store may still read it.
    const results = await Promise.allSettled(inserts);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    // Only after success: a failed request might not have let go of the bytes yet.
    this.#writers.push(writer);
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
      if (this.#createSchema) await ensureSchema(this.#store, this.#database ? { database: this.#database } : {});
      return this.#store;
    } catch (err) {
      // Retried by the next export; an opened store is kept and reused.
      this.#ready = undefined;
      throw err;
    }
  }
}
