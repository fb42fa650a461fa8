/*
 * One shared CPU Llama per process: getLlama() tests the native binary in a child
 * process (~0.4 s on Linux), so paying that once matters more than anything else here.
 */
import { diag } from '@opentelemetry/api';
import { type Llama, LlamaLogLevel, getLlama } from 'node-llama-cpp';

export const logger = diag.createComponentLogger({ namespace: '@slm-audit/sdk/node-llama-cpp' });

/** Forwards llama.cpp's log to OpenTelemetry diag, so the application decides where it goes. */
export function llamaLogger(level: LlamaLogLevel, message: string): void {
  const text = message.trimEnd();
  switch (level) {
    case LlamaLogLevel.fatal:
    case LlamaLogLevel.error:
      logger.error(text);
      return;
    case LlamaLogLevel.warn:
      logger.warn(text);
      return;
    case LlamaLogLevel.info:
    case LlamaLogLevel.log:
      logger.info(text);
      return;
    default:
      logger.debug(text);
  }
}

let shared: Promise<Llama> | undefined;

/**
 * The process-wide Llama used when `createAuditedModel` gets none: CPU only, prebuilt
 * binaries only (`build: 'never'`, `skipDownload`), so it never compiles llama.cpp or
 * touches the network. Pass your own `llama` for GPU offload.
 */
export function getSharedLlama(): Promise<Llama> {
  shared ??= getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.warn,
    logger: llamaLogger,
  }).catch((err: unknown) => {
    shared = undefined; // let a later call retry (e.g. after installing binaries)
    throw err;
  });
  return shared;
}

/** Disposes the shared Llama (tests, graceful shutdown). The next getSharedLlama() makes a new one. */
export async function disposeSharedLlama(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current) await (await current).dispose();
}
