import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/run-cli.js';

describe('slm-audit command line', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slm-audit-cli-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help and the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include('demo').and.to.include('query');
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
  });

  it('refuses an unknown command or option with exit status 2', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('unknown command "frobnicate"');
    const badOption = await runCli(['query', 'SELECT 1', '--nope']);
    expect(badOption.code).to.equal(2);
    expect(badOption.stderr).to.include('--nope');
    const badFormat = await runCli(['query', 'SELECT 1', '--store', join(dir, 's'), '--format', 'xml']);
    expect(badFormat.code).to.equal(2);
  });

  it('queries the embedded store, binding parameters as data', async () => {
    const store = join(dir, 'store');
    const hostile = "x'); DROP TABLE slm_inferences; --";
    const q = await runCli(['query', 'SELECT {v:String} AS v, 1 + 1 AS two', '--store', store, '--param', `v=${hostile}`, '--format', 'json']);
    expect(q.code, q.stderr).to.equal(0);
    expect(JSON.parse(q.stdout)).to.deep.equal([{ v: hostile, two: 2 }]);
    const tables = await runCli(['query', "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'slm_inferences'", '--store', store, '--format', 'csv']);
    expect(tables.stdout).to.equal('name\r\nslm_inferences\r\n');
  });

  it('reports a SQL error clearly, with exit status 1', async () => {
    const q = await runCli(['query', 'SELECT no_such_column FROM system.one', '--store', join(dir, 'store')]);
    expect(q.code).to.equal(1);
    expect(q.stderr).to.match(/slm-audit query: .*(UNKNOWN_IDENTIFIER|no_such_column)/);
  });

  it('explains a store path that is a file, and a model file that is missing, without a stack trace', async () => {
    const { writeFile } = await import('node:fs/promises');
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const q = await runCli(['query', 'SELECT 1', '--store', file]);
    expect(q.code).to.equal(2);
    expect(q.stderr).to.include('is a file; the embedded store is a directory');
    const demo = await runCli(['demo', '--store', join(dir, 'm'), '--count', '1', '--model', join(dir, 'missing.gguf')]);
    expect(demo.code).to.equal(1);
    expect(demo.stderr).to.include('cannot load the model').and.not.to.include('    at ');
  });

  it('says clearly that a store owned by another process cannot be opened', async () => {
    // A demo holds the store while it runs; a query from a second process must be refused with advice.
    const store = join(dir, 'busy');
    const { spawn } = await import('node:child_process');
    const { CLI_BIN } = await import('./support/run-cli.js');
    const holder = spawn(process.execPath, [CLI_BIN, 'demo', '--store', store, '--count', '400'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stderr.on('data', (d: Buffer) => d.toString().includes('inferences') && resolve());
        holder.on('exit', () => reject(new Error('demo ended before it held the store')));
      });
      const q = await runCli(['query', 'SELECT 1', '--store', store]);
      expect(q.code).to.equal(1);
      expect(q.stderr).to.include('in use by another process').and.to.include('--url');
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
