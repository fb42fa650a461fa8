import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { AUDIT_SCOPE_NAME } from '@slm-audit/semconv';
import { VERSION } from './version.js';

const tracers = new WeakMap<TracerProvider, Tracer>();
let globalProvider: TracerProvider | undefined;
let globalTracer: Tracer | undefined;

/**
 * The SDK's tracer from `provider`, or from the global provider. The global one is
 * looked up on every call (cheap) so `trace.disable()` and re-registration are seen.
 */
export function getTracer(provider?: TracerProvider): Tracer {
  if (provider !== undefined) {
    let tracer = tracers.get(provider);
    if (tracer === undefined) {
      tracer = provider.getTracer(AUDIT_SCOPE_NAME, VERSION);
      tracers.set(provider, tracer);
    }
    return tracer;
  }
  const current = trace.getTracerProvider();
  if (current !== globalProvider || globalTracer === undefined) {
    globalProvider = current;
    globalTracer = current.getTracer(AUDIT_SCOPE_NAME, VERSION);
  }
  return globalTracer;
}
