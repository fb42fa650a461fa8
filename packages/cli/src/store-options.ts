/*
 * The options every command that reads or writes the audit store shares:
 * an embedded store directory, or a ClickHouse server URL.
 */
import { ensureSchema, openStore, type AuditStore, type StoreOptions } from '@slm-audit/exporter-clickhouse';
import { existsSync, statSync } from 'node:fs';
import { CliError } from './cli-error.js';

export const DEFAULT_STORE_DIR = '.slm-audit';

export const STORE_ARG_OPTIONS = {
  store: { type: 'string' },
  url: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  database: { type: 'string' },
} as const;

export interface StoreArgs {
  store?: string | undefined;
  url?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  database?: string | undefined;
}

export function storeOptionsFrom(args: StoreArgs): StoreOptions {
  if (args.store !== undefined && args.url !== undefined) {
    throw new CliError('give either --store DIR (embedded) or --url URL (server), not both', 2);
  }
  const database = args.database;
  if (args.url !== undefined) {
    const password = args.password ?? process.env.SLM_AUDIT_CLICKHOUSE_PASSWORD;
    return {
      url: args.url,
      ...(args.user !== undefined ? { username: args.user } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(database !== undefined ? { database } : {}),
    };
  }
  return { path: args.store ?? DEFAULT_STORE_DIR, ...(database !== undefined ? { database } : {}) };
}

/**
 * Opens the store. An embedded store gets the schema, so questions about an empty store
 * get empty answers rather than "unknown table"; a server's schema is its operators' job
 * (and a read-only user could not create it).
 */
export async function openStoreFrom(args: StoreArgs): Promise<AuditStore> {
  const options = storeOptionsFrom(args);
  if ('path' in options && existsSync(options.path) && !statSync(options.path).isDirectory()) {
    throw new CliError(`--store ${options.path} is a file; the embedded store is a directory`, 2);
  }
  let store: AuditStore | undefined;
  try {
    store = await openStore(options);
    if ('path' in options) await ensureSchema(store);
    return store;
  } catch (err) {
    await store?.close().catch(() => undefined);
    throw storeError(err, options);
  }
}

/** A store error as the user should read it: the one everybody meets first gets advice. */
export function storeError(err: unknown, options: StoreOptions): CliError {
  const message = (err as Error)?.message ?? String(err);
  if ('path' in options && /Cannot lock file|Another server instance/i.test(message)) {
    return new CliError(
      `the store ${options.path} is in use by another process (the embedded engine lets one process own a directory); ` +
        'stop that process, or reach the process that serves the store with --url',
    );
  }
  return new CliError(message);
}
