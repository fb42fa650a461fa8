/*
 * `npm run bench`: every benchmark, each in a process of its own so one's garbage and
 * engine state do not weigh on the next. Each compares against a baseline measured in
 * its own process, because absolute numbers on shared machines are noise.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['sdk-overhead.ts', 'exporter-throughput.ts'];

let failed = 0;
for (const bench of BENCHES) {
  const file = fileURLToPath(new URL(bench, import.meta.url));
  process.stdout.write(`\n# ${bench}\n`);
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    process.stdout.write(`${bench} exited with ${run.status ?? run.signal}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
