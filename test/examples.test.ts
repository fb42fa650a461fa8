import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode } from './support/run-cli.js';

// Every example runs as a newcomer would run it: its own process, through tsx.
describe('examples', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slm-audit-examples-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('quickstart.ts audits two chat calls into the embedded store and reads them back', async () => {
    const run = await runNode(['--import', 'tsx', 'examples/quickstart.ts', join(dir, 'store')]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include('Where is my parcel? ->');
    // Both rows read back from ClickHouse: the user, and the e-mail found in the second prompt.
    expect(run.stdout.match(/'u-42'/g)).to.have.length(2);
    expect(run.stdout).to.include("[ 'email' ]");
  });

  it('trace-any-call.ts wraps a plain node-llama-cpp call and redacts the card number', async () => {
    const run = await runNode(['--import', 'tsx', 'examples/trace-any-call.ts']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include('span "text_completion tiny-llama"');
    expect(run.stdout).to.include('[REDACTED:payment_card]');
    expect(run.stdout).not.to.include('4111 1111 1111 1111 asks');
    expect(run.stdout).to.match(/gen_ai\.usage\.output_tokens = [1-9]/);
  });
});
