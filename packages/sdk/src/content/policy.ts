/*
 * Which policy applies to each field, and the stage that applies it.
 *
 * Resolution, per field: ContentOptions.<field> ?? ContentOptions.policy ?? default.
 * The default is `hash`, or `full` when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
 * is `true` (what the convention's switch means: record message content). An
 * explicit policy always wins over the variable.
 */
import { CONTENT_POLICIES, ENV_CAPTURE_MESSAGE_CONTENT } from '@slm-audit/semconv';
import { warnOnce } from '../diag.js';
import type { ContentOptions, ContentPolicy } from '../types.js';
import type { ContentField, ContentStage, FieldPolicies, JsonValue, PipelineRun } from '../internal-types.js';
import { canonicalContent } from './canonical.js';

export const DEFAULT_POLICY: ContentPolicy = 'hash';

function isPolicy(value: unknown): value is ContentPolicy {
  return typeof value === 'string' && (CONTENT_POLICIES as readonly string[]).includes(value);
}

/** The default policy the environment asks for. */
export function envDefaultPolicy(env: NodeJS.ProcessEnv = process.env): ContentPolicy {
  const raw = env[ENV_CAPTURE_MESSAGE_CONTENT];
  if (raw === undefined || raw.trim() === '') return DEFAULT_POLICY;
  const value = raw.trim().toLowerCase();
  if (value === 'true') return 'full';
  if (value !== 'false') {
    warnOnce('capture_env', `${ENV_CAPTURE_MESSAGE_CONTENT}="${raw}" is neither true nor false; content policy stays ${DEFAULT_POLICY}`);
  }
  return DEFAULT_POLICY;
}

function pick(explicit: unknown, fallback: ContentPolicy, what: string): ContentPolicy {
  if (explicit === undefined || explicit === null) return fallback;
  if (isPolicy(explicit)) return explicit;
  warnOnce(`bad_policy:${what}`, `unknown content policy "${String(explicit)}" for ${what}; using ${fallback}`);
  return fallback;
}

/**
 * Policies per field. `redacted` without a redactor would emit raw text under a name
 * that promises otherwise, so it falls back to `hash`.
 */
export function resolvePolicies(
  options: ContentOptions | undefined,
  hasRedactor: boolean,
  env: NodeJS.ProcessEnv = process.env,
): FieldPolicies {
  const base = pick(options?.policy, DEFAULT_POLICY, 'policy');
  const fallback = options?.policy === undefined || options.policy === null ? envDefaultPolicy(env) : base;
  const field = (explicit: unknown, what: string): ContentPolicy => {
    const policy = pick(explicit, fallback, what);
    if (policy === 'redacted' && !hasRedactor) {
      warnOnce(`redacted_without_redactor:${what}`, `content policy "redacted" for ${what} needs a redactor (redactor is false); using hash`);
      return 'hash';
    }
    return policy;
  };
  return {
    input: field(options?.input, 'input'),
    output: field(options?.output, 'output'),
    systemInstructions: field(options?.systemInstructions, 'systemInstructions'),
  };
}

/** What a field's hash covers: the output text as is; other fields in canonical form. */
export function hashTextOf(field: ContentField): string | undefined {
  if (field.name === 'output') return field.hashText;
  return (field.hashText ??= canonicalContent(field.original as JsonValue[]));
}

/**
 * Applies the field's policy: `hash` keeps only the hash; `redacted` adds the
 * redacted JSON; `full` adds the JSON as given (after truncation). The hash always
 * covers the complete original, never the truncated or redacted text.
 */
export const policyStage: ContentStage = {
  name: 'policy',
  process(field: ContentField, run: PipelineRun): void {
    if (field.policy === 'none') return;
    const hashText = hashTextOf(field);
    if (hashText !== undefined) {
      field.hash = run.options.hasher.hash(hashText);
      run.hashed = true;
    }
    if (field.policy === 'redacted') {
      if (!field.redactionFailed && field.redacted !== undefined) field.payload = JSON.stringify(field.redacted);
    } else if (field.policy === 'full') {
      field.payload = JSON.stringify(field.value);
    }
  },
};
