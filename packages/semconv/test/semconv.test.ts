import { expect } from 'chai';
import * as semconv from '@slm-audit/semconv';

describe('@slm-audit/semconv', () => {
  it('spells every audit attribute under the slm_audit. namespace', () => {
    const audit = Object.entries(semconv).filter(([k]) => k.startsWith('ATTR_AUDIT_'));
    expect(audit.length).to.be.greaterThan(30);
    for (const [, v] of audit) expect(v).to.match(/^slm_audit\.[a-z_.]+$/);
  });

  it('has no two constants with the same attribute name', () => {
    const names = Object.entries(semconv).filter(([k]) => k.startsWith('ATTR_')).map(([, v]) => v);
    expect(new Set(names).size).to.equal(names.length);
  });
});
