import { AUDIT_DIAGNOSTICS } from '@slm-audit/semconv';

export type DiagnosticValue = (typeof AUDIT_DIAGNOSTICS)[keyof typeof AUDIT_DIAGNOSTICS];

/** Add a value to a record's slm_audit.diagnostics, once. */
export function addDiagnostic(list: string[], value: DiagnosticValue): void {
  if (!list.includes(value)) list.push(value);
}
