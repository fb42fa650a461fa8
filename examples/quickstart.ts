/*
 * Quick start: audit an in-process small model (node-llama-cpp) into the embedded
 * ClickHouse store, then read the audit trail back with SQL.
 *
 *   npx tsx examples/quickstart.ts [STORE_DIR]
 */
import { openStore } from '@slm-audit/exporter-clickhouse';
import { startAudit, withAuditContext } from '@slm-audit/sdk';
import { createAuditedModel, disposeSharedLlama } from '@slm-audit/sdk/node-llama-cpp';
import { writeTinyModel } from '@slm-audit/tiny-model';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const storeDir = process.argv[2] ?? '.slm-audit-quickstart';

// 1. One call sets up tracing into ClickHouse (embedded here; give `url` for a server).
const audit = await startAudit({ serviceName: 'quickstart', clickhouse: { path: storeDir }, otlp: false });

// 2. A model. Any GGUF file works; this one is generated so the example needs no download.
const { path: modelPath } = await writeTinyModel(join(tmpdir(), 'slm-audit-quickstart.gguf'));
const model = await createAuditedModel({ modelPath, name: 'tiny-llama', version: '1' });

// 3. Calls made inside an audit context carry who and why.
for (const question of ['Where is my parcel?', 'My email is jo@example.com, please update it.']) {
  const answer = await withAuditContext({ userId: 'u-42', sessionId: 's-1', tenantId: 'acme', feature: 'support' }, () =>
    model.chat([{ role: 'user', content: question }], { maxTokens: 16 }),
  );
  console.log(`${question} -> ${JSON.stringify(answer.text)} (confidence ${Math.exp(mean(answer.logprobs)).toFixed(2)})`);
}

await model.dispose();
await disposeSharedLlama();
await audit.shutdown(); // flushes every span into the store

// 4. The audit trail is ClickHouse tables.
const store = await openStore({ path: storeDir });
const rows = await store.query<{ user_id: string; request_model: string; usage_output_tokens: number; input_hash: string; redaction_types: string[] }>(
  `SELECT user_id, request_model, usage_output_tokens, input_hash, redaction_types
   FROM slm_inferences WHERE service_name = 'quickstart' ORDER BY timestamp DESC LIMIT 2`,
);
console.table(rows);
await store.close();

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
}
