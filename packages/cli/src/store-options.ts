/*
 * The options every command that reads or writes the audit store shares:
 * an embedded store directory, or a ClickHouse server URL.
 */
import { openStore, type AuditStore, type StoreOptions } from '@slm-audit/exporter-clickhouse';
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

export async function openStoreFrom(args: StoreArgs): Promise<AuditStore> {
  const options = storeOptionsFrom(args);
  try {
    return await openStore(options);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if ('path' in options && /Cannot lock file|Another server instance/i.test(message)) {
      throw new CliError(
        `the store ${options.path} is in use by another process (it owns the embedded engine's directory); ` +
          'stop that process, or reach the process that serves it with --url',
      );
    }
    throw new CliError(`cannot open the audit store: ${message}`);
  }
}
