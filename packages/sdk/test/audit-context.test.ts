import { expect } from 'chai';
import { context } from '@opentelemetry/api';
import {
  ATTR_AUDIT_FEATURE,
  ATTR_AUDIT_TENANT_ID,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_SESSION_ID,
  ATTR_USER_ID,
} from '@slm-audit/semconv';
import { getAuditContext, setAuditContext, traceInference, withAuditContext } from '../src/index.js';
import { recorder, useContextManager, useDiag } from './support.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('withAuditContext', () => {
  useContextManager();
  const rec = recorder();
  beforeEach(() => rec.reset());

  it('is absent outside and present inside, and returns what fn returns', () => {
    expect(getAuditContext()).to.equal(undefined);
    const out = withAuditContext({ tenantId: 't1' }, () => getAuditContext());
    expect(out).to.deep.equal({ tenantId: 't1' });
    expect(getAuditContext()).to.equal(undefined);
  });

  it('is inherited across awaits, timers and nested async functions', async () => {
    await withAuditContext({ tenantId: 'acme', userId: 'u1', feature: 'search' }, async () => {
      await sleep(2);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          void traceInference({ provider: 'p', model: 'm' }, () => 'x', rec.config()).then(() => resolve());
        }, 1),
      );
      const inner = async (): Promise<void> => {
        await Promise.resolve();
        await traceInference({ provider: 'p', model: 'm' }, () => 'y', rec.config());
      };
      await inner();
    });
    const spans = rec.spans();
    expect(spans).to.have.length(2);
    for (const span of spans) {
      expect(span.attributes).to.include({ [ATTR_AUDIT_TENANT_ID]: 'acme', [ATTR_USER_ID]: 'u1', [ATTR_AUDIT_FEATURE]: 'search' });
    }
  });

  it('merges nested contexts, inner values winning, outer ones kept', async () => {
    await withAuditContext({ tenantId: 'acme', userId: 'u1', attributes: { 'app.a': 1, 'app.b': 'outer' } }, async () => {
      await withAuditContext({ userId: 'u2', sessionId: 's9', feature: undefined, attributes: { 'app.b': 'inner' } }, async () => {
        expect(getAuditContext()).to.deep.equal({
          tenantId: 'acme',
          userId: 'u2',
          sessionId: 's9',
          attributes: { 'app.a': 1, 'app.b': 'inner' },
        });
        await traceInference({ provider: 'p', model: 'm' }, () => 1, rec.config());
      });
      // Back outside the inner scope.
      expect(getAuditContext()?.userId).to.equal('u1');
      await traceInference({ provider: 'p', model: 'm' }, () => 2, rec.config());
    });
    const [inner, outer] = rec.spans().map((s) => s.attributes);
    expect(inner).to.include({ [ATTR_AUDIT_TENANT_ID]: 'acme', [ATTR_USER_ID]: 'u2', [ATTR_SESSION_ID]: 's9', 'app.a': 1, 'app.b': 'inner' });
    expect(outer).to.include({ [ATTR_AUDIT_TENANT_ID]: 'acme', [ATTR_USER_ID]: 'u1', 'app.b': 'outer' });
    expect(outer).not.to.have.property(ATTR_SESSION_ID);
  });

  it('keeps concurrent contexts apart', async () => {
    const run = (tenant: string, delays: number[]): Promise<void> =>
      withAuditContext({ tenantId: tenant, conversationId: `conv-${tenant}` }, async () => {
        for (const d of delays) {
          await sleep(d);
          await traceInference({ provider: 'p', model: 'm', attributes: { 'test.tenant': tenant } }, async () => {
            await sleep(d);
          }, rec.config());
        }
      });
    await Promise.all([run('a', [3, 1, 2]), run('b', [1, 3, 1]), run('c', [2, 2, 2])]);
    const spans = rec.spans();
    expect(spans).to.have.length(9);
    for (const span of spans) {
      const tenant = span.attributes['test.tenant'];
      expect(span.attributes[ATTR_AUDIT_TENANT_ID]).to.equal(tenant);
      expect(span.attributes[ATTR_GEN_AI_CONVERSATION_ID]).to.equal(`conv-${String(tenant)}`);
    }
  });

  it('can be put on a context without running anything (setAuditContext)', () => {
    const ctx = setAuditContext({ feature: 'batch' }, setAuditContext({ tenantId: 't' }));
    expect(getAuditContext(ctx)).to.deep.equal({ tenantId: 't', feature: 'batch' });
    expect(context.with(ctx, () => getAuditContext()?.feature)).to.equal('batch');
  });

  it('freezes the merged context so callers cannot change it in place', () => {
    withAuditContext({ tenantId: 't' }, () => {
      expect(Object.isFrozen(getAuditContext())).to.equal(true);
    });
  });
});

describe('withAuditContext without a context manager', () => {
  const diag = useDiag();

  it('runs fn and warns that the context cannot propagate', () => {
    const out = withAuditContext({ tenantId: 't' }, () => 'ran');
    expect(out).to.equal('ran');
    expect(diag.some((d) => d.level === 'warn' && d.message.includes('no OpenTelemetry context manager'))).to.equal(true);
  });
});
