/*
 * The content pipeline: every field (input messages, system instructions, output)
 * passes through the same stages, truncate (to the limit plus a margin) → redact → limit → policy. Encryption, when it
 * comes, is one more stage after policy that replaces `payload`.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_AUDIT_HASH_KEY_ID,
  ATTR_AUDIT_INPUT_HASH,
  ATTR_AUDIT_INPUT_ORIGINAL_LENGTH,
  ATTR_AUDIT_INPUT_TRUNCATED,
  ATTR_AUDIT_OUTPUT_HASH,
  ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH,
  ATTR_AUDIT_OUTPUT_TRUNCATED,
  ATTR_AUDIT_REDACTION_COUNT,
  ATTR_AUDIT_REDACTION_TYPES,
  ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  AUDIT_DIAGNOSTICS,
} from '@slm-audit/semconv';
import { addDiagnostic } from '../diagnostics.js';
import { logger } from '../diag.js';
import type {
  ContentField,
  ContentFieldName,
  ContentStage,
  JsonValue,
  PipelineRun,
  ResolvedContentOptions,
} from '../internal-types.js';
import type { ContentPolicy } from '../types.js';
import { policyStage } from './policy.js';
import { redactStage } from './redact.js';
import { limitStage, truncateStage } from './truncate.js';

export class ContentPipeline {
  constructor(readonly stages: readonly ContentStage[]) {}

  /**
   * Runs the stages in order. A stage that throws ends the field's processing and
   * leaves its text out (fail closed); the other fields and the call go on.
   */
  process(field: ContentField, run: PipelineRun): void {
    if (field.policy === 'none') return;
    for (const stage of this.stages) {
      try {
        stage.process(field, run);
      } catch (err) {
        field.payload = undefined;
        addDiagnostic(run.diagnostics, AUDIT_DIAGNOSTICS.INSTRUMENTATION_ERROR);
        logger.error(`content stage "${stage.name}" failed on ${field.name}; its text is left out of the record`, err);
        return;
      }
    }
  }
}

export const DEFAULT_PIPELINE = new ContentPipeline([truncateStage, redactStage, limitStage, policyStage]);

export function createField(
  name: ContentFieldName,
  policy: ContentPolicy,
  original: JsonValue,
  hashText?: string,
): ContentField {
  return {
    name,
    policy,
    original,
    hashText,
    value: original,
    redacted: undefined,
    redactionFailed: false,
    originalLength: 0,
    truncated: false,
    payload: undefined,
    hash: undefined,
  };
}

export function createRun(options: ResolvedContentOptions, diagnostics: string[]): PipelineRun {
  return { options, diagnostics, redactionTypes: [], redactionCount: 0, redactorRan: false, hashed: false };
}

const FIELD_ATTRIBUTES = {
  input: {
    hash: ATTR_AUDIT_INPUT_HASH,
    payload: ATTR_GEN_AI_INPUT_MESSAGES,
    truncated: ATTR_AUDIT_INPUT_TRUNCATED,
    originalLength: ATTR_AUDIT_INPUT_ORIGINAL_LENGTH,
  },
  output: {
    hash: ATTR_AUDIT_OUTPUT_HASH,
    payload: ATTR_GEN_AI_OUTPUT_MESSAGES,
    truncated: ATTR_AUDIT_OUTPUT_TRUNCATED,
    originalLength: ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH,
  },
  system_instructions: {
    hash: ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH,
    payload: ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
    truncated: undefined,
    originalLength: undefined,
  },
} as const;

/** The span attributes a processed field contributes. */
export function writeFieldAttributes(field: ContentField, attrs: Attributes): void {
  const names = FIELD_ATTRIBUTES[field.name];
  if (field.hash !== undefined) attrs[names.hash] = field.hash;
  if (field.payload !== undefined) attrs[names.payload] = field.payload;
  if (field.truncated && names.truncated !== undefined) {
    attrs[names.truncated] = true;
    attrs[names.originalLength] = field.originalLength;
  }
}

/** The attributes about the record's content as a whole. */
export function writeRunAttributes(run: PipelineRun, attrs: Attributes): void {
  if (run.hashed) attrs[ATTR_AUDIT_HASH_KEY_ID] = run.options.hasher.keyId;
  if (run.redactorRan) {
    attrs[ATTR_AUDIT_REDACTION_TYPES] = run.redactionTypes;
    attrs[ATTR_AUDIT_REDACTION_COUNT] = run.redactionCount;
  }
}
