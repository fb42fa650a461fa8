import { basename } from 'node:path';
import {
  type ChatWrapper,
  type LLamaContextualRepeatPenalty,
  type Llama,
  GeneralChatWrapper,
  LlamaChat,
  type LlamaChatResponse,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
  resolveChatWrapper,
} from 'node-llama-cpp';
import {
  type AuditConfig,
  type ChatMessage,
  type Confidence,
  type Inference,
  type InferenceRequest,
  type ModelIdentity,
  type RequestParameters,
  traceInference,
} from '../../index.js';
import { modelIdentityOf, sha256File } from './identity.js';
import { getSharedLlama } from './llama.js';
import { toChatHistory } from './messages.js';
import { SequencePool } from './pool.js';
import { rescoreTokens, toLogprob } from './scoring.js';
import { StopSequenceMatcher, TokenTextDecoder } from './text.js';

/**
 * gen_ai.provider.name for this integration. llama.cpp is not in the convention's list of
 * well-known providers, which allows a custom value; the engine (not the `node-llama-cpp`
 * binding) is named, so in-process and llama-server records group together.
 */
export const LLAMA_CPP_PROVIDER = 'llama.cpp';

/** Largest context created by default: the trained context of current SLMs can need GBs of KV cache. */
export const DEFAULT_MAX_CONTEXT_SIZE = 4096;

// Below this size thread synchronisation costs more than it saves: a 0.5 MB model ran
// 25× slower per token on two threads than on one.
const SINGLE_THREAD_MODEL_BYTES = 64 * 1024 * 1024;

export type FinishReason = 'stop' | 'length' | 'abort' | 'tool_calls';

export interface AuditedModelOptions {
  /** Path of the GGUF file. */
  modelPath: string;
  /** Llama instance to load the model with; default a shared CPU-only one ({@link getSharedLlama}). */
  llama?: Llama;
  /** gen_ai.request.model; default general.name from the file, else the file name. */
  name?: string;
  /** slm_audit.model.version; default general.version from the file. */
  version?: string;
  /** Known SHA-256 of the file (hex), to skip hashing it. */
  digest?: string;
  /** Context size in tokens; default the trained size, at most {@link DEFAULT_MAX_CONTEXT_SIZE}. */
  contextSize?: number;
  /** CPU threads for evaluation; default 1 for models under 64 MiB, else node-llama-cpp's default. */
  threads?: number;
  /** Calls that can run at once (context sequences); default 1, further calls queue. */
  sequences?: number;
  /**
   * Chat template handling for `chat()`; default `auto`: node-llama-cpp's resolution of
   * the model's own template, done once on the first chat (~0.5 s for a Jinja template
   * it has no specialised wrapper for).
   */
  chatWrapper?: 'auto' | ChatWrapper;
  /** gen_ai.provider.name; default {@link LLAMA_CPP_PROVIDER}. */
  provider?: string;
  /** Audit configuration used for every call (content policy, tracer provider, sealers). */
  audit?: AuditConfig;
}

/** Request data for the audit record that the model itself does not use. */
export type CallAuditOptions = Pick<InferenceRequest, 'conversationId' | 'template' | 'attributes' | 'systemInstructions'>;

export interface GenerationOptions {
  /** Most tokens to generate; default (and at most) what is left of the context. */
  maxTokens?: number;
  /** Default 0: greedy decoding. */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** Sampling seed; only used with temperature > 0. */
  seed?: number;
  /** Stop sequences; the output ends before the first one found. */
  stop?: string[];
  signal?: AbortSignal;
  /**
   * When aborted after generation started, resolve with what was generated (finish
   * reason `abort`) instead of rejecting with the signal's reason. Default false.
   */
  stopOnAbortSignal?: boolean;
  /** Streams output text as it is generated; the chunks concatenate to `text`. */
  onToken?: (text: string) => void;
  /** Record per-token confidence when it costs a re-scoring pass (see each method). Default true. */
  confidence?: boolean;
  audit?: CallAuditOptions;
}

export type CompletionOptions = GenerationOptions;

export interface ChatOptions extends GenerationOptions {
  /** node-llama-cpp's repeat penalty for chat (its default is on); `false` turns it off. */
  repeatPenalty?: false | LLamaContextualRepeatPenalty;
}

export interface GenerationResult {
  text: string;
  finishReason: FinishReason;
  /** Generated tokens (see each method for which are counted). */
  tokens: Token[];
  /** Natural-log probability of each generated token under the model; empty when not recorded. */
  logprobs: number[];
  /** `logprobs` from the generation itself, or from scoring the output afterwards. */
  confidenceSource?: 'logprobs' | 'rescored';
  usage: { inputTokens: number; outputTokens: number };
  /** Milliseconds from the call to the first generated token. */
  timeToFirstTokenMs?: number;
}

export type CompletionResult = GenerationResult;

export interface ChatResult extends GenerationResult {
  /** Thought segments, when the chat template separates them. */
  reasoning?: string;
}

export interface AuditedModel {
  readonly name: string;
  readonly provider: string;
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly contextSize: number;
  /** Recorded on every call as slm_audit.model.*. */
  readonly identity: Readonly<ModelIdentity>;
  /**
   * Text completion of a bare prompt (BOS is prepended when the model asks for it).
   * `tokens` are all sampled tokens, including a final end-of-generation token; the text
   * excludes it. Logprobs come from the generation when decoding greedily; with
   * temperature > 0 the sampler's probabilities are tempered and truncated, so the
   * output is re-scored under the model instead (source `rescored`).
   */
  complete(prompt: string, options?: CompletionOptions): Promise<CompletionResult>;
  /**
   * Chat through the model's chat template (node-llama-cpp's LlamaChat). `tokens` are
   * the response tokens LlamaChat surfaced (end-of-turn and stop-trigger tokens are not
   * included). LlamaChat reports no probabilities, so the response is re-scored after
   * generation (source `rescored`).
   */
  chat(messages: readonly ChatMessage[], options?: ChatOptions): Promise<ChatResult>;
  /** Frees the context and the model (not a Llama passed in, nor the shared one). */
  dispose(): Promise<void>;
}

/** Raised before generation when the input leaves no room in the context. */
export class ContextLengthExceededError extends Error {
  readonly code = 'context_length_exceeded';
  constructor(
    readonly inputTokens: number,
    readonly contextSize: number,
  ) {
    super(`input of ${inputTokens} tokens does not fit the context of ${contextSize} tokens`);
    this.name = 'ContextLengthExceededError';
  }
}

/** Loads the model once (and hashes its file once) for audited calls. */
export async function createAuditedModel(options: AuditedModelOptions): Promise<AuditedModel> {
  const llama = options.llama ?? (await getSharedLlama());
  const [loaded, digest] = await Promise.allSettled([
    llama.loadModel({ modelPath: options.modelPath }),
    options.digest ?? sha256File(options.modelPath),
  ]);
  if (loaded.status === 'rejected') throw loaded.reason;
  const model = loaded.value;
  try {
    if (digest.status === 'rejected') throw digest.reason;
    const context = await model.createContext({
      contextSize: options.contextSize ?? Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT_SIZE),
      sequences: options.sequences ?? 1,
      ...((options.threads != null || model.size < SINGLE_THREAD_MODEL_BYTES) && { threads: options.threads ?? 1 }),
    });
    return new AuditedLlamaModel(llama, model, context, options, digest.value);
  } catch (err) {
    await model.dispose();
    throw err;
  }
}

const STOP_REASONS: Record<LlamaChatResponse['metadata']['stopReason'], FinishReason> = {
  eogToken: 'stop',
  stopGenerationTrigger: 'stop',
  customStopTrigger: 'stop',
  maxTokens: 'length',
  abort: 'abort',
  functionCalls: 'tool_calls',
};

class AuditedLlamaModel implements AuditedModel {
  readonly name: string;
  readonly provider: string;
  readonly contextSize: number;
  readonly identity: Readonly<ModelIdentity>;
  private readonly pool: SequencePool;
  private readonly chats = new Map<LlamaContextSequence, LlamaChat>();
  private chatWrapper: ChatWrapper | undefined;
  private disposed = false;

  constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    private readonly options: AuditedModelOptions,
    digest: string,
  ) {
    this.name = options.name ?? model.fileInfo.metadata?.general?.name ?? basename(options.modelPath).replace(/\.gguf$/i, '');
    this.provider = options.provider ?? LLAMA_CPP_PROVIDER;
    this.contextSize = context.contextSize;
    this.identity = Object.freeze(
      modelIdentityOf(model, { digest, version: options.version, contextSize: context.contextSize }),
    );
    this.pool = new SequencePool(context, options.sequences ?? 1);
  }

  async complete(prompt: string, options: CompletionOptions = {}): Promise<CompletionResult> {
    this.assertUsable();
    const request: InferenceRequest = {
      ...this.baseRequest('text_completion', options),
      prompt,
    };
    return traceInference(request, (inference) => this.runCompletion(prompt, options, inference), this.options.audit);
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    this.assertUsable();
    // Before the span: a one-time setup cost is not this call's latency.
    this.resolveChatWrapper();
    const request: InferenceRequest = {
      ...this.baseRequest('chat', options),
      messages: [...messages],
    };
    const penalty = options.repeatPenalty;
    if (penalty) {
      request.parameters = {
        ...request.parameters,
        frequencyPenalty: penalty.frequencyPenalty,
        presencePenalty: penalty.presencePenalty,
      };
    }
    return traceInference(request, (inference) => this.runChat(messages, options, inference), this.options.audit);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const chat of this.chats.values()) chat.dispose({ disposeSequence: false });
    this.chats.clear();
    for (const sequence of this.pool.sequences) await sequence.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error(`audited model "${this.name}" is disposed`);
  }

  private baseRequest(operation: string, options: GenerationOptions): InferenceRequest {
    const parameters: RequestParameters = {
      // Recorded even when defaulted: greedy vs. sampled decides what the output means.
      temperature: options.temperature ?? 0,
      topK: options.topK,
      topP: options.topP,
      maxTokens: options.maxTokens,
      seed: options.seed,
      stopSequences: options.stop,
      stream: options.onToken != null,
    };
    for (const key of Object.keys(parameters) as Array<keyof RequestParameters>) {
      if (parameters[key] === undefined) delete parameters[key];
    }
    return {
      ...options.audit,
      operation,
      provider: this.provider,
      model: this.name,
      inProcess: true,
      parameters,
      modelIdentity: { ...this.identity },
    };
  }

  /** Caps generation to the request and to the room left in the context. */
  private budget(inputTokens: number, inference: Inference, maxTokens: number | undefined): number {
    if (maxTokens != null && !(maxTokens >= 0)) throw new RangeError(`maxTokens must be a number ≥ 0, got ${maxTokens}`);
    if (inputTokens >= this.contextSize) {
      const error = new ContextLengthExceededError(inputTokens, this.contextSize);
      inference.setErrorCode(error.code);
      inference.setResponse({ usage: { inputTokens } });
      throw error;
    }
    const room = this.contextSize - inputTokens;
    return maxTokens == null ? room : Math.max(0, Math.min(Math.floor(maxTokens), room));
  }

  private async runCompletion(prompt: string, options: CompletionOptions, inference: Inference): Promise<CompletionResult> {
    const startedAt = performance.now();
    const { signal } = options;
    const input = this.model.tokenize(prompt);
    const bos = this.model.tokens.bos;
    if (bos != null && this.model.tokens.shouldPrependBosToken) input.unshift(bos);
    if (input.length === 0) throw new RangeError('the prompt is empty and the model adds no BOS token');

    const sequence = await this.pool.acquire(signal);
    try {
      const maxTokens = this.budget(input.length, inference, options.maxTokens);
      const temperature = options.temperature ?? 0;
      const greedy = !(temperature > 0);
      const decoder = new TokenTextDecoder(this.model);
      const stops = new StopSequenceMatcher(options.stop);
      const tokens: Token[] = [];
      const logprobs: number[] = [];
      let finishReason: FinishReason = 'length';
      let timeToFirstTokenMs: number | undefined;
      const emit = (text: string) => {
        if (text) options.onToken?.(text);
      };

      if (maxTokens > 0) {
        finishReason = 'stop';
        // Keep the cached state of a shared prefix (as LlamaCompletion does), but always
        // evaluate the last input token: its logits give the first output token.
        await sequence.adaptStateToTokens(input.slice(0, -1), false);
        const iterator = sequence.evaluateWithMetadata(
          input.slice(sequence.nextTokenIndex),
          { confidence: true },
          {
            temperature,
            ...(options.topK != null && { topK: options.topK }),
            ...(options.topP != null && { topP: options.topP }),
            ...(options.minP != null && { minP: options.minP }),
            ...(options.seed != null && { seed: options.seed }),
            // The end-of-generation token is sampled output too: count and score it.
            yieldEogToken: true,
          },
        );
        for await (const { token, confidence } of iterator) {
          if (tokens.length === 0) {
            inference.firstToken();
            timeToFirstTokenMs = performance.now() - startedAt;
          }
          tokens.push(token);
          // With temperature 0 the sampler applies no temperature or truncation, so this is the model's own probability.
          if (greedy) logprobs.push(toLogprob(confidence));
          if (this.model.isEogToken(token)) break;
          emit(stops.push(decoder.push(token)));
          if (stops.stopped) break;
          if (tokens.length >= maxTokens) {
            finishReason = 'length';
            break;
          }
          if (signal?.aborted) {
            finishReason = 'abort';
            break;
          }
        }
      }
      if (!stops.stopped) emit(stops.push(decoder.flush()));
      if (!stops.stopped) emit(stops.end());

      let confidenceSource: GenerationResult['confidenceSource'];
      if (greedy) confidenceSource = 'logprobs';
      else if (options.confidence !== false && finishReason !== 'abort' && tokens.length > 0) {
        logprobs.push(...(await rescoreTokens(sequence, input, tokens)));
        confidenceSource = 'rescored';
      }

      const result: CompletionResult = {
        text: stops.text,
        finishReason,
        tokens,
        logprobs,
        ...(confidenceSource && logprobs.length > 0 && { confidenceSource }),
        usage: { inputTokens: input.length, outputTokens: tokens.length },
        ...(timeToFirstTokenMs != null && { timeToFirstTokenMs }),
      };
      this.report(inference, result);
      if (finishReason === 'abort' && !options.stopOnAbortSignal) throw signal!.reason;
      return result;
    } finally {
      this.pool.release(sequence);
    }
  }

  private async runChat(messages: readonly ChatMessage[], options: ChatOptions, inference: Inference): Promise<ChatResult> {
    const startedAt = performance.now();
    const { signal } = options;
    const history = toChatHistory(messages);
    history.push({ type: 'model', response: [] });

    const sequence = await this.pool.acquire(signal);
    try {
      const chat = this.chatFor(sequence);
      // The prompt LlamaChat will evaluate; rendered here for the input count, the budget and re-scoring.
      const input = chat.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(this.model.tokenizer);
      const maxTokens = this.budget(input.length, inference, options.maxTokens);
      if (maxTokens === 0) return this.emptyChat(inference, input.length);
      const tokens: Token[] = [];
      let streamed = '';
      let timeToFirstTokenMs: number | undefined;

      let response: LlamaChatResponse;
      try {
        response = await chat.generateResponse(history, {
          maxTokens,
          ...(options.temperature != null && { temperature: options.temperature }),
          ...(options.topK != null && { topK: options.topK }),
          ...(options.topP != null && { topP: options.topP }),
          ...(options.minP != null && { minP: options.minP }),
          ...(options.seed != null && { seed: options.seed }),
          ...(options.repeatPenalty !== undefined && { repeatPenalty: options.repeatPenalty }),
          ...(options.stop?.some((s) => s.length > 0) && { customStopTriggers: options.stop.filter((s) => s.length > 0) }),
          ...(signal && { signal }),
          stopOnAbortSignal: options.stopOnAbortSignal ?? false,
          onResponseChunk: (chunk) => {
            if (chunk.tokens.length > 0 && timeToFirstTokenMs == null) {
              inference.firstToken();
              timeToFirstTokenMs = performance.now() - startedAt;
            }
            tokens.push(...chunk.tokens);
            if (chunk.type === undefined && chunk.text) {
              streamed += chunk.text;
              options.onToken?.(chunk.text);
            }
          },
        });
      } catch (err) {
        if (signal?.aborted) {
          // Record what was generated before the abort; traceInference records the error.
          this.report(inference, {
            text: streamed,
            finishReason: 'abort',
            tokens,
            logprobs: [],
            usage: { inputTokens: input.length, outputTokens: tokens.length },
          });
        }
        throw err;
      }

      const finishReason = STOP_REASONS[response.metadata.stopReason] ?? 'stop';
      const reasoning = response.fullResponse
        .filter((item) => typeof item !== 'string' && item.type === 'segment' && item.segmentType === 'thought')
        .map((item) => (typeof item === 'string' ? item : item.text))
        .join('');

      let logprobs: number[] = [];
      if (options.confidence !== false && finishReason !== 'abort' && this.canRescore(sequence, input, tokens)) {
        logprobs = await rescoreTokens(sequence, input, tokens);
      }
      const result: ChatResult = {
        text: response.response,
        finishReason,
        tokens,
        logprobs,
        ...(logprobs.length > 0 && { confidenceSource: 'rescored' as const }),
        usage: { inputTokens: input.length, outputTokens: tokens.length },
        ...(timeToFirstTokenMs != null && { timeToFirstTokenMs }),
        ...(reasoning && { reasoning }),
      };
      this.report(inference, result);
      return result;
    } finally {
      this.pool.release(sequence);
    }
  }

  private emptyChat(inference: Inference, inputTokens: number): ChatResult {
    const result: ChatResult = { text: '', finishReason: 'length', tokens: [], logprobs: [], usage: { inputTokens, outputTokens: 0 } };
    this.report(inference, result);
    return result;
  }

  /**
   * Re-scoring teacher-forces `tokens` after `input`; that is only the generation that
   * happened if the sequence still starts with the input and continues with these tokens
   * (no context shift, no tokens LlamaChat kept out of the response chunks).
   */
  private canRescore(sequence: LlamaContextSequence, input: readonly Token[], tokens: readonly Token[]): boolean {
    if (tokens.length === 0 || input.length + tokens.length - 1 > this.contextSize) return false;
    const state = sequence.contextTokens;
    if (sequence.compareContextTokens([...input]).firstDifferentIndex !== input.length) return false;
    const generated = state.slice(input.length);
    const n = Math.min(generated.length, tokens.length);
    for (let i = 0; i < n; i++) if (generated[i] !== tokens[i]) return false;
    return true;
  }

  private report(inference: Inference, result: ChatResult): void {
    const confidence: Confidence | undefined =
      result.logprobs.length > 0 ? { tokenLogprobs: result.logprobs, source: result.confidenceSource ?? 'logprobs' } : undefined;
    inference.setResponse({
      model: this.name,
      output: result.text,
      ...(result.reasoning && { reasoning: result.reasoning }),
      finishReasons: [result.finishReason],
      usage: result.usage,
      ...(confidence && { confidence }),
    });
  }

  /** Once per model: LlamaChat's own 'auto' would resolve again for every sequence. */
  private resolveChatWrapper(): ChatWrapper {
    this.chatWrapper ??=
      this.options.chatWrapper && this.options.chatWrapper !== 'auto'
        ? this.options.chatWrapper
        : (resolveChatWrapper(this.model, { warningLogs: false }) ?? new GeneralChatWrapper());
    return this.chatWrapper;
  }

  private chatFor(sequence: LlamaContextSequence): LlamaChat {
    let chat = this.chats.get(sequence);
    if (!chat) {
      chat = new LlamaChat({ contextSequence: sequence, chatWrapper: this.resolveChatWrapper() });
      this.chats.set(sequence, chat);
    }
    return chat;
  }
}
