import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/run-cli.js';

interface ModelRow {
  model_version: string;
  inferences: string;
  errors: string;
  with_tokens: string;
  with_confidence: string;
  with_digest: string;
}

describe('slm-audit demo, end to end (real model, embedded store, separate processes)', function () {
  this.timeout(180_000);
  let dir: string;
  let store: string;
  let demo: { code: number; stdout: string; stderr: string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slm-audit-demo-test-'));
    store = join(dir, 'store');
    // 40 calls include one injected timeout (call 23) and one oversized prompt (call 37).
    demo = await runCli(['demo', '--store', store, '--count', '40']);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs and prints every section of the audit report', () => {
    expect(demo.code, demo.stderr).to.equal(0);
    expect(demo.stdout).to.include('ran 40 inferences: 38 answered, 2 failed on purpose');
    for (const section of ['Inferences by model version', 'Inferences by tenant and user', 'Confidence distribution', 'Errors by type', 'One complete audit record']) {
      expect(demo.stdout).to.include(`== ${section}`);
    }
    expect(demo.stdout).to.match(/TimeoutError/);
    expect(demo.stdout).to.match(/context_length_exceeded/);
  });

  it('shows progress on stderr', () => {
    expect(demo.stderr).to.include('inferences 40/40');
  });

  it('landed one audit row per inference, with real tokens, confidence and model digests for both versions', async () => {
    const q = await runCli([
      'query',
      `SELECT model_version, count() AS inferences, countIf(error_type != '') AS errors,
              countIf(usage_output_tokens > 0) AS with_tokens, countIf(confidence_score BETWEEN 0 AND 1) AS with_confidence,
              countIf(length(model_digest) = 64) AS with_digest
       FROM slm_inferences GROUP BY model_version ORDER BY model_version`,
      '--store',
      store,
      '--format',
      'json',
    ]);
    expect(q.code, q.stderr).to.equal(0);
    const rows = JSON.parse(q.stdout) as ModelRow[];
    expect(rows.map((r) => r.model_version)).to.deep.equal(['1.0', '1.1']);
    const total = rows.reduce((n, r) => n + Number(r.inferences), 0);
    const errors = rows.reduce((n, r) => n + Number(r.errors), 0);
    expect(total).to.equal(40);
    expect(errors).to.equal(2);
    for (const r of rows) {
      // Every answered call has output tokens, a confidence in [0, 1] and the file's digest.
      expect(Number(r.with_tokens)).to.be.at.least(Number(r.inferences) - Number(r.errors));
      expect(Number(r.with_confidence)).to.be.at.least(Number(r.inferences) - Number(r.errors));
      expect(Number(r.with_digest)).to.equal(Number(r.inferences));
    }
  });

  it('keeps personal data out of the stored prompts (redacted policy)', async () => {
    const q = await runCli(
      ['query', "SELECT count() AS leaks FROM slm_inferences WHERE input_messages LIKE '%@example.org%' OR input_messages LIKE '%4111 1111%'", '--store', store, '--format', 'csv'],
    );
    expect(q.code, q.stderr).to.equal(0);
    expect(q.stdout).to.equal('leaks\r\n0\r\n');
  });

  it('wrote every span to otel_traces in the collector layout too', async () => {
    const q = await runCli(['query', "SELECT count() AS n FROM otel_traces WHERE ServiceName = 'slm-audit-demo' AND SpanAttributes['gen_ai.operation.name'] != ''", '--store', store, '--format', 'csv']);
    expect(q.stdout).to.equal('n\r\n40\r\n');
  });
});
