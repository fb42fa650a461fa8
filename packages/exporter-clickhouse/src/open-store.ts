import { EmbeddedStore } from './embedded-store.js';
import { HttpStore } from './http-store.js';
import { isHttpStoreOptions, type AuditStore, type StoreOptions } from './store.js';

/** Opens the store the options describe (`url` → HttpStore, `path` → EmbeddedStore) and creates its database if missing. */
export function openStore(options: StoreOptions): Promise<AuditStore> {
  return isHttpStoreOptions(options) ? HttpStore.open(options) : EmbeddedStore.open(options);
}
