/*
 * Process-wide defaults (configureAudit) merged with a call's AuditConfig. The merge
 * builds the costly parts (HMAC key, redactor, policies from the environment) once
 * per config object: pass the same object on every call, or rely on the defaults.
 * Environment variables are read when a configuration is first resolved.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { AuditConfig, ContentOptions, RecordSealer, Redactor } from './types.js';
import type { ResolvedConfig } from './internal-types.js';
import { createHasher } from './content/hash.js';
import { resolvePolicies } from './content/policy.js';
import { DEFAULT_PIPELINE } from './content/pipeline.js';
import { createRedactor } from './redaction/redactor.js';
import { warnOnce } from './diag.js';

export const DEFAULT_MAX_CONTENT_LENGTH = 32768;

let defaults: AuditConfig = {};
// Bumped by configureAudit so every cached resolution goes stale at once.
let generation = 0;

interface CacheEntry {
  generation: number;
  resolved: ResolvedConfig;
}
const cache = new WeakMap<object, CacheEntry>();
const NO_CONFIG = {};

let builtinRedactor: Redactor | undefined;

/**
 * Set process-wide defaults (content options, sealers, tracer provider) that
 * `traceInference` falls back to and `startAudit` extends. Replaces earlier defaults.
 */
export function configureAudit(config: AuditConfig = {}): void {
  defaults = { ...config };
  generation++;
}

/** The current process-wide defaults. */
export function getAuditConfig(): Readonly<AuditConfig> {
  return defaults;
}

function mergeContent(base: ContentOptions | undefined, over: ContentOptions | undefined): ContentOptions {
  const out: Record<string, unknown> = { ...base };
  if (over !== undefined && over !== null) {
    for (const [key, value] of Object.entries(over)) if (value !== undefined) out[key] = value;
  }
  return out as ContentOptions;
}

function redactorFrom(option: ContentOptions['redactor']): Redactor | undefined {
  if (option === false) return undefined;
  if (option !== undefined && option !== null) {
    if (typeof option.redact === 'function') return option;
    warnOnce('bad_redactor', 'ContentOptions.redactor has no redact() method; using the built-in redactor');
  }
  return (builtinRedactor ??= createRedactor());
}

function maxLength(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_CONTENT_LENGTH;
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return Math.floor(value);
  warnOnce('bad_max_content_length', `maxContentLength must be a non-negative number; using ${DEFAULT_MAX_CONTENT_LENGTH}`);
  return DEFAULT_MAX_CONTENT_LENGTH;
}

function build(config: AuditConfig | undefined): ResolvedConfig {
  const content = mergeContent(defaults.content, config?.content);
  const redactor = redactorFrom(content.redactor);
  const sealers: readonly RecordSealer[] = (config?.sealers ?? defaults.sealers ?? []).filter(
    (s) => s !== null && typeof s === 'object' && typeof s.seal === 'function',
  );
  const tracerProvider: TracerProvider | undefined = config?.tracerProvider ?? defaults.tracerProvider;
  return {
    content: {
      policies: resolvePolicies(content, redactor !== undefined),
      redactor,
      hasher: createHasher(content),
      maxContentLength: maxLength(content.maxContentLength),
    },
    pipeline: DEFAULT_PIPELINE,
    sealers,
    tracerProvider,
  };
}

/** The resolved configuration for a call, from cache when nothing changed. */
export function resolveConfig(config?: AuditConfig): ResolvedConfig {
  const key = config ?? NO_CONFIG;
  const hit = cache.get(key);
  if (hit !== undefined && hit.generation === generation) return hit.resolved;
  const resolved = build(config);
  cache.set(key, { generation, resolved });
  return resolved;
}
