import { diag } from '@opentelemetry/api';
import { AUDIT_SCOPE_NAME } from '@slm-audit/semconv';

/** The SDK's logger; the application decides where diag output goes. */
export const logger = diag.createComponentLogger({ namespace: AUDIT_SCOPE_NAME });

const warned = new Set<string>();

/**
 * Warn the first time `key` comes up, then only at debug level: per-call problems
 * (a missing model name on every call) must not flood the application's log.
 */
export function warnOnce(key: string, message: string, ...args: unknown[]): void {
  if (warned.has(key)) {
    logger.debug(message, ...args);
    return;
  }
  warned.add(key);
  logger.warn(message, ...args);
}

/** For tests: forget which warnings were given. */
export function resetWarnings(): void {
  warned.clear();
}
