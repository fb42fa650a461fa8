/*
 * The audit context rides on the OpenTelemetry Context, so it follows async work
 * exactly as the active span does (with the context manager the application
 * registered; startAudit registers AsyncLocalStorage).
 */
import { context, createContextKey, type Context } from '@opentelemetry/api';
import type { AuditContext } from './types.js';
import { warnOnce } from './diag.js';

const AUDIT_CONTEXT_KEY = createContextKey('@slm-audit/sdk audit context');

const SCALAR_KEYS = ['userId', 'sessionId', 'conversationId', 'tenantId', 'feature'] as const;

/** Inner values win; an inner `undefined` leaves the outer value in place. */
function merge(outer: AuditContext | undefined, inner: AuditContext): AuditContext {
  const out: AuditContext = { ...outer };
  for (const key of SCALAR_KEYS) {
    const value = inner[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  if (inner.attributes !== undefined && inner.attributes !== null) {
    out.attributes = { ...outer?.attributes, ...inner.attributes };
  }
  return Object.freeze(out);
}

/** The audit context in `ctx` (default: the active context), if any. */
export function getAuditContext(ctx: Context = context.active()): Readonly<AuditContext> | undefined {
  return ctx.getValue(AUDIT_CONTEXT_KEY) as AuditContext | undefined;
}

/** `ctx` (default: the active context) with `audit` merged over its audit context. */
export function setAuditContext(audit: AuditContext, ctx: Context = context.active()): Context {
  return ctx.setValue(AUDIT_CONTEXT_KEY, merge(getAuditContext(ctx), audit ?? {}));
}

/**
 * Run `fn` with `audit` merged over the current audit context; every inference in
 * `fn`, including after awaits, inherits it.
 */
export function withAuditContext<T>(audit: AuditContext, fn: () => T): T {
  const ctx = setAuditContext(audit);
  return context.with(ctx, () => {
    // With no context manager registered, context.with cannot carry anything.
    if (context.active() !== ctx) {
      warnOnce(
        'no_context_manager',
        'withAuditContext: no OpenTelemetry context manager is registered, so the audit context is lost; call startAudit() or register AsyncLocalStorageContextManager',
      );
    }
    return fn();
  });
}
