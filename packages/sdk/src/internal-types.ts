/*
 * Shapes shared inside the SDK; not exported from the package.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { ContentPolicy, RecordSealer, Redactor } from './types.js';

/** What JSON.stringify accepts without surprises: content after normalisation. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type ContentFieldName = 'input' | 'output' | 'system_instructions';

export interface FieldPolicies {
  readonly input: ContentPolicy;
  readonly output: ContentPolicy;
  readonly systemInstructions: ContentPolicy;
}

/** Keyed content hashing, created once per configuration. */
export interface ContentHasher {
  readonly keyId: string;
  /** HMAC-SHA256 of the UTF-8 bytes of `text`, lowercase hex. */
  hash(text: string): string;
}

export interface ResolvedContentOptions {
  readonly policies: FieldPolicies;
  readonly redactor: Redactor | undefined;
  readonly hasher: ContentHasher;
  readonly maxContentLength: number;
}

/** One field of content on its way through the pipeline. */
export interface ContentField {
  readonly name: ContentFieldName;
  readonly policy: ContentPolicy;
  /** Convention-shaped, JSON-safe content as given (lone surrogates already replaced). Never changed. */
  readonly original: JsonValue;
  /** What the hash covers: the output text, or (filled lazily) the canonical form of `original`. */
  hashText: string | undefined;
  /** Working content: the truncate stage shortens it. */
  value: JsonValue;
  /** `value` after redaction; undefined when no redactor ran or it failed. */
  redacted: JsonValue | undefined;
  /** The redactor threw or returned nonsense: the `redacted` policy then emits no text (`full` never needed it). */
  redactionFailed: boolean;
  /** Characters (UTF-16 code units) of text before truncation. */
  originalLength: number;
  truncated: boolean;
  /** Serialised content for the span (policy stage); a later encrypt stage would replace it. */
  payload: string | undefined;
  hash: string | undefined;
}

/** State of one record's content processing, shared by its fields. */
export interface PipelineRun {
  readonly options: ResolvedContentOptions;
  /** slm_audit.diagnostics values so far (no repeats). */
  readonly diagnostics: string[];
  /** Detector names found in any field, first-seen order. */
  redactionTypes: string[];
  redactionCount: number;
  /** The redactor ran on at least one field. */
  redactorRan: boolean;
  /** At least one hash was computed (so the key id belongs on the record). */
  hashed: boolean;
}

/** A step of the content pipeline (truncate, redact, policy; later encrypt). */
export interface ContentStage {
  readonly name: string;
  process(field: ContentField, run: PipelineRun): void;
}

/** AuditConfig merged with the process-wide defaults, with the costly parts built once. */
export interface ResolvedConfig {
  readonly content: ResolvedContentOptions;
  readonly pipeline: { process(field: ContentField, run: PipelineRun): void };
  readonly sealers: readonly RecordSealer[];
  readonly tracerProvider: TracerProvider | undefined;
}
