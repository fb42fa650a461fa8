import { AUDIT_DIAGNOSTICS } from '@slm-audit/semconv';
import { addDiagnostic } from '../diagnostics.js';
import { warnOnce } from '../diag.js';
import type { ContentField, ContentStage, PipelineRun } from '../internal-types.js';
import type { JsonValue } from '../internal-types.js';
import { mapText, textLength } from './walk.js';

/** Cut at `max` code units without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (max <= 0) return '';
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** `value` with only its first `max` characters of text (over all parts, in order). */
function keepFirst(value: JsonValue, max: number): JsonValue {
  let budget = max;
  return mapText(value, (text) => {
    if (text.length <= budget) {
      budget -= text.length;
      return text;
    }
    const kept = cut(text, budget);
    budget = 0;
    return kept;
  });
}

/**
 * Characters kept beyond the limit until redaction has run, longer than anything a
 * detector matches: a secret cut by the limit must still be recognised whole, or its
 * first half would be emitted as plain text.
 */
export const REDACTION_MARGIN = 1024;

/**
 * Bounds a field's text to `maxContentLength` plus a margin before redaction (what
 * redaction scans stays bounded); `limitStage` cuts to the limit after it. The hash
 * still covers the whole original.
 */
export const truncateStage: ContentStage = {
  name: 'truncate',
  process(field: ContentField, run: PipelineRun): void {
    const max = run.options.maxContentLength;
    field.originalLength = textLength(field.original);
    if (field.originalLength <= max) return;
    field.value = keepFirst(field.value, max + REDACTION_MARGIN);
    field.truncated = true;
    // System instructions are input to the model too; there is no separate flag for them.
    addDiagnostic(
      run.diagnostics,
      field.name === 'output' ? AUDIT_DIAGNOSTICS.OUTPUT_TRUNCATED : AUDIT_DIAGNOSTICS.INPUT_TRUNCATED,
    );
    warnOnce(
      `truncated:${field.name}`,
      `${field.name} content of ${field.originalLength} characters exceeds maxContentLength (${max}); truncated`,
    );
  },
};

/** After redaction: the first `maxContentLength` characters of the text and of its redacted form. */
export const limitStage: ContentStage = {
  name: 'limit',
  process(field: ContentField, run: PipelineRun): void {
    if (!field.truncated) return;
    const max = run.options.maxContentLength;
    field.value = keepFirst(field.value, max);
    if (field.redacted !== undefined) field.redacted = keepFirst(field.redacted, max);
  },
};
