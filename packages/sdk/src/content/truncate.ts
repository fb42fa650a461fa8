import { AUDIT_DIAGNOSTICS } from '@slm-audit/semconv';
import { addDiagnostic } from '../diagnostics.js';
import { warnOnce } from '../diag.js';
import type { ContentField, ContentStage, PipelineRun } from '../internal-types.js';
import { mapText, textLength } from './walk.js';

/** Cut at `max` code units without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (max <= 0) return '';
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * Keeps the first `maxContentLength` characters of a field's text (over all its
 * parts, in order); later text is dropped. Bounds what redaction scans and what a
 * span carries; the hash still covers the whole original.
 */
export const truncateStage: ContentStage = {
  name: 'truncate',
  process(field: ContentField, run: PipelineRun): void {
    const max = run.options.maxContentLength;
    field.originalLength = textLength(field.original);
    if (field.originalLength <= max) return;
    let budget = max;
    field.value = mapText(field.value, (text) => {
      if (text.length <= budget) {
        budget -= text.length;
        return text;
      }
      const kept = cut(text, budget);
      budget = 0;
      return kept;
    });
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
