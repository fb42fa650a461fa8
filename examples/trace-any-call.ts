/*
 * Wrap any model call — here node-llama-cpp's plain LlamaCompletion, which knows
 * nothing of slm-audit — with traceInference, and see the audit span it makes.
 * Content policy `redacted` keeps the text with personal data masked; the default,
 * `hash`, would keep only keyed hashes.
 *
 *   npx tsx examples/trace-any-call.ts
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { traceInference } from '@slm-audit/sdk';
import { writeTinyModel } from '@slm-audit/tiny-model';
import { getLlama, LlamaCompletion, LlamaLogLevel } from 'node-llama-cpp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });

const { path: modelPath, sha256 } = await writeTinyModel(join(tmpdir(), 'slm-audit-any-call.gguf'));
const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 512, threads: 1 });
const completion = new LlamaCompletion({ contextSequence: context.getSequence() });

const prompt = 'Customer 4111 1111 1111 1111 asks: can I raise my card limit?';
const text = await traceInference(
  {
    provider: 'llama.cpp',
    model: 'tiny-llama',
    inProcess: true,
    prompt,
    operation: 'text_completion',
    parameters: { maxTokens: 12, temperature: 0 },
    modelIdentity: { digest: sha256, quantization: 'F32' },
  },
  async (inference) => {
    const output = await completion.generateCompletion(prompt, {
      maxTokens: 12,
      onTextChunk: () => inference.firstToken(), // only the first call counts
    });
    inference.setResponse({
      output,
      finishReasons: ['length'],
      usage: { inputTokens: model.tokenize(prompt).length, outputTokens: model.tokenize(output).length },
    });
    return output;
  },
  { tracerProvider, content: { policy: 'redacted' } },
);

console.log(`model said: ${JSON.stringify(text)}`);
const [span] = spans.getFinishedSpans();
console.log(`span "${span!.name}"`);
for (const [key, value] of Object.entries(span!.attributes)) console.log(`  ${key} = ${JSON.stringify(value)}`);

await context.dispose();
await model.dispose();
await llama.dispose();
