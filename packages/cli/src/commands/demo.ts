import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClickHouseSpanExporter } from '@slm-audit/exporter-clickhouse';
import { startAudit, withAuditContext } from '@slm-audit/sdk';
import { createAuditedModel, disposeSharedLlama, type AuditedModel } from '@slm-audit/sdk/node-llama-cpp';
import { writeTinyModel } from '@slm-audit/tiny-model';
import { CliError } from '../cli-error.js';
import { renderReport } from '../demo/report.js';
import { DEMO_MODEL_NAME, DEMO_MODEL_VERSIONS, DEMO_PEOPLE, DEMO_TEMPLATES, seededRandom } from '../demo/scenario.js';
import { ProgressBar } from '../progress.js';
import { DEFAULT_STORE_DIR, openStoreFrom } from '../store-options.js';



export const DEMO_SERVICE_NAME = 'slm-audit-demo';

/** Every TIMEOUT_EVERY-th call gets a deadline it cannot meet; every OVERSIZE_EVERY-th a prompt longer than the context. */
const TIMEOUT_EVERY = 23;
const OVERSIZE_EVERY = 37;
const CALLS_PER_SESSION = 6;

export async function demoCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      store: { type: 'string', default: DEFAULT_STORE_DIR },
      count: { type: 'string', default: '300' },
      model: { type: 'string' },
      seed: { type: 'string', default: '7' },
    },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) throw new CliError('--count must be a positive integer', 2);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new CliError('--seed must be an integer', 2);

  const store = await openStoreFrom({ store: values.store });
  // Everything opened from here on is closed in `finally`, however far set-up got.
  let audit: Awaited<ReturnType<typeof startAudit>> | undefined;
  const models: AuditedModel[] = [];
  const startedMs = Date.now();
  try {
    audit = await startAudit({
      serviceName: DEMO_SERVICE_NAME,
      clickhouse: { exporter: new ClickHouseSpanExporter({ store }) },
      otlp: false,
      // The demo keeps redacted text so the report can show it; the default stores hashes only.
      content: { policy: 'redacted' },
    });
    await loadModels(values.model, models);
    out.write(`slm-audit demo: ${count} inferences on ${models.map((m) => `${m.name}@${m.identity.version}`).join(', ')} into ${values.store}\n`);
    const outcome = await runTraffic(models, count, seed);
    await audit.forceFlush();
    out.write(`ran ${count} inferences: ${outcome.ok} answered, ${outcome.failed} failed on purpose, in ${outcome.seconds.toFixed(1)} s\n`);
    await audit.shutdown();
    out.write(await renderReport(store, { sinceMs: startedMs, serviceName: DEMO_SERVICE_NAME }));
    out.write(`\nThe audit trail is in ${values.store}. Ask it anything: npx slm-audit query "SELECT … FROM slm_inferences" --store ${values.store}\n`);
  } finally {
    await audit?.shutdown().catch(() => undefined);
    for (const m of models) await m.dispose();
    await disposeSharedLlama();
    await store.close();
  }
  return 0;
}

/** Loads the demo's models into `models`, so that the caller disposes whatever loaded before a failure. */
async function loadModels(modelPath: string | undefined, models: AuditedModel[]): Promise<void> {
  if (modelPath !== undefined) {
    try {
      models.push(await createAuditedModel({ modelPath, threads: 1 }));
      return;
    } catch (err) {
      throw new CliError(`cannot load the model ${modelPath}: ${(err as Error).message ?? err}`);
    }
  }
  const dir = join(tmpdir(), 'slm-audit-demo-models');
  await mkdir(dir, { recursive: true });
  for (const { version, seed } of DEMO_MODEL_VERSIONS) {
    const file = await writeTinyModel(join(dir, `${DEMO_MODEL_NAME}-${version}.gguf`), { seed, version });
    models.push(await createAuditedModel({ modelPath: file.path, name: DEMO_MODEL_NAME, version, digest: file.sha256, threads: 1 }));
  }
}

async function runTraffic(models: AuditedModel[], count: number, seed: number): Promise<{ ok: number; failed: number; seconds: number }> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sessions = new Map<string, { id: string; calls: number }>();
  const progress = new ProgressBar(count, 'inferences');
  const started = performance.now();
  let ok = 0;
  let failed = 0;

  for (let i = 0; i < count; i++) {
    const person = pick(DEMO_PEOPLE);
    let session = sessions.get(person.userId);
    if (!session || session.calls >= CALLS_PER_SESSION) {
      session = { id: `s-${person.userId.slice(2)}-${i}`, calls: 0 };
      sessions.set(person.userId, session);
    }
    session.calls++;
    const template = pick(DEMO_TEMPLATES);
    let prompt = pick(template.prompts);
    // The newer version takes a growing share of traffic, as in a gradual rollout.
    const model = models.length > 1 && random() < i / count ? models[1]! : models[0]!;

    let signal: AbortSignal | undefined;
    if (i % TIMEOUT_EVERY === TIMEOUT_EVERY - 1) signal = AbortSignal.timeout(1);
    if (i % OVERSIZE_EVERY === OVERSIZE_EVERY - 1) prompt = `${prompt}\n${'Attached log line: request failed, retrying. '.repeat(200)}`;

    const options = {
      maxTokens: template.maxTokens,
      temperature: random() < 0.5 ? 0 : 0.7,
      seed: i,
      ...(signal ? { signal } : {}),
      audit: { template: { id: template.id, version: template.version } },
    };
    try {
      await withAuditContext(
        { userId: person.userId, tenantId: person.tenantId, sessionId: session.id, conversationId: session.id, feature: template.feature },
        () =>
          template.operation === 'chat'
            ? model.chat(
                [
                  { role: 'system', content: template.system ?? '' },
                  { role: 'user', content: prompt },
                ],
                options,
              )
            : model.complete(prompt, options),
      );
      ok++;
    } catch {
      failed++; // recorded on the span by the SDK; the report reads it back
    }
    progress.tick();
  }
  progress.finish();
  return { ok, failed, seconds: (performance.now() - started) / 1000 };
}
