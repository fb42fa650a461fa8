import { AUDIT_DIAGNOSTICS } from '@slm-audit/semconv';
import { addDiagnostic } from '../diagnostics.js';
import { logger } from '../diag.js';
import type { ContentField, ContentStage, PipelineRun } from '../internal-types.js';
import type { RedactionResult } from '../types.js';
import { SCAN, type ScanningRedactor } from '../redaction/hooks.js';
import { forEachText, mapText } from './walk.js';

function isResult(value: unknown): value is RedactionResult {
  const r = value as RedactionResult | undefined;
  return typeof r === 'object' && r !== null && typeof r.text === 'string';
}

/**
 * Runs the redactor over every text of the field, whatever the policy: under `hash`
 * and `full` the result is not emitted, but what the content held (types, count) is
 * still recorded. A failing redactor fails closed: the field's text is never emitted.
 */
export const redactStage: ContentStage = {
  name: 'redact',
  process(field: ContentField, run: PipelineRun): void {
    const redactor = run.options.redactor;
    if (redactor === undefined) return;
    const tally = (types: unknown, count: unknown): void => {
      if (Array.isArray(types)) {
        for (const type of types) {
          if (typeof type === 'string' && !run.redactionTypes.includes(type)) run.redactionTypes.push(type);
        }
      }
      if (typeof count === 'number' && Number.isFinite(count) && count > 0) run.redactionCount += count;
    };
    try {
      const scanner = (redactor as Partial<ScanningRedactor>)[SCAN];
      if (field.policy !== 'redacted' && scanner !== undefined) {
        // Only what was found is recorded, so the redacted text need not be built.
        forEachText(field.value, (text) => {
          const found = scanner.call(redactor, text);
          tally(found.types, found.count);
        });
      } else {
        field.redacted = mapText(field.value, (text) => {
          const result = redactor.redact(text);
          if (!isResult(result)) throw new TypeError('redactor returned no { text }');
          tally(result.types, result.count);
          return result.text;
        }, true);
      }
      run.redactorRan = true;
    } catch (err) {
      field.redacted = undefined;
      field.redactionFailed = true;
      addDiagnostic(run.diagnostics, AUDIT_DIAGNOSTICS.INSTRUMENTATION_ERROR);
      logger.error(`redactor failed on ${field.name} content; its text is left out of the record unless the policy is full`, err);
    }
  },
};
