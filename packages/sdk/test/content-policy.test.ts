import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import {
  ATTR_AUDIT_CONTENT_INPUT_POLICY,
  ATTR_AUDIT_CONTENT_OUTPUT_POLICY,
  ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY,
  ATTR_AUDIT_DIAGNOSTICS,
  ATTR_AUDIT_HASH_KEY_ID,
  ATTR_AUDIT_INPUT_HASH,
  ATTR_AUDIT_INPUT_ORIGINAL_LENGTH,
  ATTR_AUDIT_INPUT_TRUNCATED,
  ATTR_AUDIT_OUTPUT_HASH,
  ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH,
  ATTR_AUDIT_OUTPUT_TRUNCATED,
  ATTR_AUDIT_REDACTION_COUNT,
  ATTR_AUDIT_REDACTION_TYPES,
  ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  AUDIT_DIAGNOSTICS,
  ENV_AUDIT_HASH_KEY,
  ENV_AUDIT_HASH_KEY_ID,
  ENV_CAPTURE_MESSAGE_CONTENT,
} from '@slm-audit/semconv';
import {
  BUILTIN_HASH_KEY,
  BUILTIN_HASH_KEY_ID,
  canonicalContent,
  configureAudit,
  hashContent,
  traceInference,
  type AuditConfig,
  type ContentOptions,
  type InferenceRequest,
  type InferenceResponse,
} from '../src/index.js';
import { json, recorder, TEST_HASH_KEY, useDiag, withEnv } from './support.js';

const request: InferenceRequest = {
  provider: 'ollama',
  model: 'llama3.2:1b',
  systemInstructions: ['You are a support agent.', 'Never share card numbers.'],
  messages: [
    { role: 'user', content: 'My card 4111 1111 1111 1111 was charged twice, mail me at ann@example.org' },
    {
      role: 'assistant',
      content: [
        { type: 'text', content: 'Let me look that up.' },
        { type: 'tool_call', id: 'call_1', name: 'find_charges', arguments: { email: 'ann@example.org', days: 30 } },
      ],
    },
    { role: 'tool', content: [{ type: 'tool_call_response', id: 'call_1', result: { charges: 2 } }] },
  ],
};
const response: InferenceResponse = { output: 'I found two charges; refunding one.', finishReasons: ['stop'] };

const INPUT_JSON = [
  { role: 'user', parts: [{ type: 'text', content: 'My card 4111 1111 1111 1111 was charged twice, mail me at ann@example.org' }] },
  {
    role: 'assistant',
    parts: [
      { type: 'text', content: 'Let me look that up.' },
      { type: 'tool_call', id: 'call_1', name: 'find_charges', arguments: { email: 'ann@example.org', days: 30 } },
    ],
  },
  { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { charges: 2 } }] },
];
const SYSTEM_JSON = [
  { type: 'text', content: 'You are a support agent.' },
  { type: 'text', content: 'Never share card numbers.' },
];
const OUTPUT_JSON = [
  { role: 'assistant', parts: [{ type: 'text', content: 'I found two charges; refunding one.' }], finish_reason: 'stop' },
];

const keyed = (text: string, key = TEST_HASH_KEY): string => hashContent(text, { hashKey: key });

describe('content policy', () => {
  const rec = recorder();
  const diag = useDiag();
  let restore: (() => void) | undefined;
  beforeEach(() => {
    rec.reset();
    restore = withEnv({ [ENV_CAPTURE_MESSAGE_CONTENT]: undefined, [ENV_AUDIT_HASH_KEY]: undefined, [ENV_AUDIT_HASH_KEY_ID]: undefined });
  });
  afterEach(() => restore?.());

  async function call(content?: ContentOptions, config?: AuditConfig): Promise<Record<string, unknown>> {
    rec.reset();
    await traceInference(request, (i) => i.setResponse(response), config ?? rec.config(content));
    return rec.only().attributes;
  }

  it('defaults to hash: hashes of the originals, no content, what the content held', async () => {
    const a = await call();
    expect(a).to.include({
      [ATTR_AUDIT_CONTENT_INPUT_POLICY]: 'hash',
      [ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: 'hash',
      [ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY]: 'hash',
      [ATTR_AUDIT_INPUT_HASH]: keyed(canonicalContent(INPUT_JSON)),
      [ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH]: keyed(canonicalContent(SYSTEM_JSON)),
      [ATTR_AUDIT_OUTPUT_HASH]: keyed('I found two charges; refunding one.'),
      [ATTR_AUDIT_HASH_KEY_ID]: 'default',
      [ATTR_AUDIT_REDACTION_COUNT]: 3,
    });
    expect(a[ATTR_AUDIT_REDACTION_TYPES]).to.deep.equal(['payment_card', 'email']);
    expect(a).not.to.have.any.keys(ATTR_GEN_AI_INPUT_MESSAGES, ATTR_GEN_AI_OUTPUT_MESSAGES, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS);
  });

  it('full: the convention JSON as given, plus the hashes', async () => {
    const a = await call({ policy: 'full' });
    expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal(INPUT_JSON);
    expect(json(a[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS])).to.deep.equal(SYSTEM_JSON);
    expect(json(a[ATTR_GEN_AI_OUTPUT_MESSAGES])).to.deep.equal(OUTPUT_JSON);
    expect(a[ATTR_AUDIT_INPUT_HASH]).to.equal(keyed(canonicalContent(INPUT_JSON)));
    // The canonical form of the emitted JSON gives the recorded hash back.
    expect(keyed(canonicalContent(json(a[ATTR_GEN_AI_INPUT_MESSAGES]) as unknown[]))).to.equal(a[ATTR_AUDIT_INPUT_HASH]);
    expect(a).to.include({ [ATTR_AUDIT_CONTENT_INPUT_POLICY]: 'full', [ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: 'full' });
  });

  it('writes the exact JSON text of the conventions', async () => {
    rec.reset();
    await traceInference(
      { provider: 'p', model: 'm', prompt: 'Hi', systemInstructions: 'Be brief.' },
      (i) => i.setResponse({ output: 'Hello', finishReasons: ['stop'] }),
      rec.config({ policy: 'full' }),
    );
    const a = rec.only().attributes;
    expect(a[ATTR_GEN_AI_INPUT_MESSAGES]).to.equal('[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]');
    expect(a[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]).to.equal('[{"type":"text","content":"Be brief."}]');
    expect(a[ATTR_GEN_AI_OUTPUT_MESSAGES]).to.equal(
      '[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]',
    );
  });

  it('redacted: redacted JSON, hash of the original', async () => {
    const full = await call({ policy: 'full' });
    const a = await call({ policy: 'redacted' });
    expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal([
      { role: 'user', parts: [{ type: 'text', content: 'My card [REDACTED:payment_card] was charged twice, mail me at [REDACTED:email]' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Let me look that up.' },
          { type: 'tool_call', id: 'call_1', name: 'find_charges', arguments: { email: '[REDACTED:email]', days: 30 } },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { charges: 2 } }] },
    ]);
    expect(json(a[ATTR_GEN_AI_OUTPUT_MESSAGES])).to.deep.equal(OUTPUT_JSON);
    expect(a[ATTR_AUDIT_INPUT_HASH]).to.equal(full[ATTR_AUDIT_INPUT_HASH]);
    expect(a[ATTR_AUDIT_REDACTION_TYPES]).to.deep.equal(['payment_card', 'email']);
    expect(a[ATTR_AUDIT_REDACTION_COUNT]).to.equal(3);
  });

  it('none: nothing about the content, not even a hash', async () => {
    const a = await call({ policy: 'none' });
    expect(a).to.include({ [ATTR_AUDIT_CONTENT_INPUT_POLICY]: 'none', [ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: 'none' });
    expect(a).not.to.have.any.keys(
      ATTR_AUDIT_INPUT_HASH,
      ATTR_AUDIT_OUTPUT_HASH,
      ATTR_AUDIT_SYSTEM_INSTRUCTIONS_HASH,
      ATTR_AUDIT_HASH_KEY_ID,
      ATTR_AUDIT_REDACTION_TYPES,
      ATTR_AUDIT_REDACTION_COUNT,
      ATTR_GEN_AI_INPUT_MESSAGES,
      ATTR_GEN_AI_OUTPUT_MESSAGES,
      ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
    );
  });

  it('applies a policy per field', async () => {
    const a = await call({ input: 'full', output: 'none', systemInstructions: 'redacted' });
    expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal(INPUT_JSON);
    expect(json(a[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS])).to.deep.equal(SYSTEM_JSON);
    expect(a).not.to.have.any.keys(ATTR_GEN_AI_OUTPUT_MESSAGES, ATTR_AUDIT_OUTPUT_HASH);
    expect(a).to.include({
      [ATTR_AUDIT_CONTENT_INPUT_POLICY]: 'full',
      [ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: 'none',
      [ATTR_AUDIT_CONTENT_SYSTEM_INSTRUCTIONS_POLICY]: 'redacted',
    });
  });

  it('lets field policies override the common one', async () => {
    const a = await call({ policy: 'none', output: 'full' });
    expect(a).not.to.have.property(ATTR_AUDIT_INPUT_HASH);
    expect(json(a[ATTR_GEN_AI_OUTPUT_MESSAGES])).to.deep.equal(OUTPUT_JSON);
  });

  it('falls back to hash for `redacted` when the redactor is turned off', async () => {
    const a = await call({ policy: 'redacted', redactor: false });
    expect(a[ATTR_AUDIT_CONTENT_INPUT_POLICY]).to.equal('hash');
    expect(a).not.to.have.any.keys(ATTR_GEN_AI_INPUT_MESSAGES, ATTR_AUDIT_REDACTION_TYPES, ATTR_AUDIT_REDACTION_COUNT);
    expect(diag.some((d) => d.level === 'warn' && d.message.includes('needs a redactor'))).to.equal(true);
  });

  it('records that nothing was found as count 0', async () => {
    rec.reset();
    await traceInference({ provider: 'p', model: 'm', prompt: 'Nothing personal here.' }, () => 1, rec.config());
    const a = rec.only().attributes;
    expect(a[ATTR_AUDIT_REDACTION_COUNT]).to.equal(0);
    expect(a[ATTR_AUDIT_REDACTION_TYPES]).to.deep.equal([]);
  });

  describe(`${ENV_CAPTURE_MESSAGE_CONTENT}`, () => {
    it('true makes full the default', async () => {
      restore?.();
      restore = withEnv({ [ENV_CAPTURE_MESSAGE_CONTENT]: 'true' });
      const a = await call();
      expect(a[ATTR_AUDIT_CONTENT_INPUT_POLICY]).to.equal('full');
      expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal(INPUT_JSON);
      expect(json(a[ATTR_GEN_AI_OUTPUT_MESSAGES])).to.deep.equal(OUTPUT_JSON);
    });

    it('true does not override an explicit policy, common or per field', async () => {
      restore?.();
      restore = withEnv({ [ENV_CAPTURE_MESSAGE_CONTENT]: 'TRUE' });
      const common = await call({ policy: 'hash' });
      expect(common[ATTR_AUDIT_CONTENT_INPUT_POLICY]).to.equal('hash');
      expect(common).not.to.have.property(ATTR_GEN_AI_INPUT_MESSAGES);
      const perField = await call({ output: 'none' });
      expect(perField[ATTR_AUDIT_CONTENT_INPUT_POLICY]).to.equal('full');
      expect(perField[ATTR_AUDIT_CONTENT_OUTPUT_POLICY]).to.equal('none');
    });

    it('false keeps hash', async () => {
      restore?.();
      restore = withEnv({ [ENV_CAPTURE_MESSAGE_CONTENT]: 'false' });
      const a = await call();
      expect(a[ATTR_AUDIT_CONTENT_INPUT_POLICY]).to.equal('hash');
      expect(a).not.to.have.property(ATTR_GEN_AI_INPUT_MESSAGES);
    });

    it('other values keep hash, with a warning', async () => {
      restore?.();
      restore = withEnv({ [ENV_CAPTURE_MESSAGE_CONTENT]: 'yes please' });
      const a = await call();
      expect(a[ATTR_AUDIT_CONTENT_INPUT_POLICY]).to.equal('hash');
      expect(diag.some((d) => d.level === 'warn' && d.message.includes('neither true nor false'))).to.equal(true);
    });
  });

  describe('hash key', () => {
    const noKey = (content?: ContentOptions): AuditConfig => ({ tracerProvider: rec.provider, content: { ...content } });

    it('uses ContentOptions.hashKey with its id (default "default")', async () => {
      const a = await call(undefined, noKey({ hashKey: new TextEncoder().encode('bytes-key'), hashKeyId: 'k-2025' }));
      expect(a[ATTR_AUDIT_HASH_KEY_ID]).to.equal('k-2025');
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(keyed('I found two charges; refunding one.', 'bytes-key'));
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.match(/^[0-9a-f]{64}$/);
    });

    it(`reads ${ENV_AUDIT_HASH_KEY} and ${ENV_AUDIT_HASH_KEY_ID}`, async () => {
      restore?.();
      restore = withEnv({ [ENV_AUDIT_HASH_KEY]: 'env-key', [ENV_AUDIT_HASH_KEY_ID]: 'env-1' });
      const a = await call(undefined, noKey());
      expect(a[ATTR_AUDIT_HASH_KEY_ID]).to.equal('env-1');
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(keyed('I found two charges; refunding one.', 'env-key'));
    });

    it('prefers the configured key over the environment', async () => {
      restore?.();
      restore = withEnv({ [ENV_AUDIT_HASH_KEY]: 'env-key', [ENV_AUDIT_HASH_KEY_ID]: 'env-1' });
      const a = await call(undefined, noKey({ hashKey: 'cfg-key' }));
      expect(a[ATTR_AUDIT_HASH_KEY_ID]).to.equal('default');
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(keyed('I found two charges; refunding one.', 'cfg-key'));
    });

    it('labels built-in-key hashes "builtin" even when a key id is configured without a key', async () => {
      restore?.();
      restore = withEnv({ [ENV_AUDIT_HASH_KEY_ID]: 'env-1' });
      const a = await call(undefined, noKey({ hashKeyId: 'k-2025' }));
      expect(a[ATTR_AUDIT_HASH_KEY_ID]).to.equal(BUILTIN_HASH_KEY_ID);
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(keyed('I found two charges; refunding one.', BUILTIN_HASH_KEY));
    });

    it('falls back to the built-in key, warning once', async () => {
      const a = await call(undefined, noKey());
      await call(undefined, noKey());
      expect(a[ATTR_AUDIT_HASH_KEY_ID]).to.equal(BUILTIN_HASH_KEY_ID);
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(keyed('I found two charges; refunding one.', BUILTIN_HASH_KEY));
      const warnings = diag.filter((d) => d.level === 'warn' && d.message.includes('built-in key'));
      expect(warnings).to.have.length(1);
    });
  });

  describe('hashing', () => {
    it('is HMAC-SHA256 (RFC 2104) for any key: ASCII, binary, longer than a block', () => {
      const long = 'k'.repeat(100);
      const binary = new Uint8Array([0, 255, 128, 7, 200]);
      const text = 'grüße 😀 "quoted"\n';
      for (const key of ['short', long, binary, 'x'.repeat(64)]) {
        expect(hashContent(text, { hashKey: key })).to.equal(createHmac('sha256', key).update(text, 'utf8').digest('hex'));
      }
    });

    it('defines the canonical form with length-prefixed strings, text parts compactly, other parts as JSON', () => {
      expect(
        canonicalContent([
          { role: 'user', parts: [{ type: 'text', content: 'héllo' }] },
          { role: 'assistant', name: 'bot', parts: [{ type: 'tool_call', id: 'c', name: 'f', arguments: { a: 1 } }] },
        ]),
      ).to.equal('M4:user0:T4:text5:hélloM9:assistant3:botJ60:{"type":"tool_call","id":"c","name":"f","arguments":{"a":1}}');
      expect(canonicalContent([{ type: 'text', content: 'Be brief.' }])).to.equal('T4:text9:Be brief.');
      // Strings cannot run into each other: these two differ.
      expect(canonicalContent([{ type: 'text', content: 'ab' }])).not.to.equal(canonicalContent([{ type: 'tex', content: 'tab' }]));
    });
  });

  describe('redaction inside tool data', () => {
    it('redacts every string and number below a part, whatever its key, and keeps the skeleton', async () => {
      rec.reset();
      await traceInference(
        {
          provider: 'p',
          model: 'm',
          messages: [
            {
              role: 'assistant',
              content: [{ type: 'tool_call', id: 'call_9', name: 'lookup', arguments: { card: 5555555555554444, role: 'jane@corp.com', days: 30 } }],
            },
            {
              role: 'tool',
              content: [{ type: 'tool_call_response', id: 'call_9', result: { id: 'alice@example.com', type: '4111 1111 1111 1111', card: 4111111111111111 } }],
            },
          ],
        },
        () => 'ok',
        rec.config({ policy: 'redacted' }),
      );
      const stored = String(rec.only().attributes[ATTR_GEN_AI_INPUT_MESSAGES]);
      expect(stored).not.to.match(/jane@|alice@|4111|5555/);
      const messages = json(stored) as { role: string; parts: Record<string, unknown>[] }[];
      expect(messages.map((m) => m.role)).to.deep.equal(['assistant', 'tool']);
      expect(messages[0]!.parts[0]).to.include({ type: 'tool_call', id: 'call_9', name: 'lookup' });
      expect(messages[0]!.parts[0]!.arguments).to.deep.equal({ card: '[REDACTED:payment_card]', role: '[REDACTED:email]', days: 30 });
      expect(messages[1]!.parts[0]).to.include({ type: 'tool_call_response', id: 'call_9' });
      expect(Object.values(messages[1]!.parts[0]!.response as object)).to.deep.equal([
        '[REDACTED:email]',
        '[REDACTED:payment_card]',
        '[REDACTED:payment_card]',
      ]);
    });
  });

  describe('size limit', () => {
    it('truncates an oversized prompt, flags it, and still hashes the whole original', async () => {
      const prompt = 'a'.repeat(30) + '😀' + 'b'.repeat(20); // 52 code units
      rec.reset();
      await traceInference({ provider: 'p', model: 'm', prompt }, (i) => i.setResponse({ output: 'x'.repeat(12) }), rec.config({
        policy: 'full',
        maxContentLength: 31,
      }));
      const a = rec.only().attributes;
      // 31 would split the surrogate pair of the emoji: cut before it.
      expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal([{ role: 'user', parts: [{ type: 'text', content: 'a'.repeat(30) }] }]);
      expect(a).to.include({ [ATTR_AUDIT_INPUT_TRUNCATED]: true, [ATTR_AUDIT_INPUT_ORIGINAL_LENGTH]: 52 });
      expect(a[ATTR_AUDIT_INPUT_HASH]).to.equal(keyed(canonicalContent([{ role: 'user', parts: [{ type: 'text', content: prompt }] }])));
      expect(a).not.to.have.any.keys(ATTR_AUDIT_OUTPUT_TRUNCATED, ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH);
      expect(a[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.INPUT_TRUNCATED]);
      expect(diag.some((d) => d.level === 'warn' && d.message.includes('maxContentLength'))).to.equal(true);
    });

    it('recognises a secret that the limit cuts through, so no part of it is emitted', async () => {
      const prompt = 'card 4111 1111 1111 1111 mail john.doe@example.com';
      for (const maxContentLength of [19, 42]) {
        rec.reset();
        await traceInference({ provider: 'p', model: 'm', prompt }, () => 'ok', rec.config({ policy: 'redacted', maxContentLength }));
        const text = (json(rec.only().attributes[ATTR_GEN_AI_INPUT_MESSAGES]) as { parts: { content: string }[] }[])[0]!.parts[0]!.content;
        expect(text.length).to.be.at.most(maxContentLength);
        expect(text, `limit ${maxContentLength}`).not.to.match(/4111|1111|john|doe@/);
        expect(text.startsWith('card [REDACTED:payment_card]'.slice(0, maxContentLength))).to.equal(true);
      }
    });

    it('counts the limit over all parts in order and truncates output too', async () => {
      rec.reset();
      await traceInference(
        { provider: 'p', model: 'm', messages: [{ role: 'user', content: 'first' }, { role: 'user', content: 'second' }] },
        (i) => i.setResponse({ output: 'long output text', finishReasons: ['length'] }),
        rec.config({ policy: 'full', maxContentLength: 8 }),
      );
      const a = rec.only().attributes;
      expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal([
        { role: 'user', parts: [{ type: 'text', content: 'first' }] },
        { role: 'user', parts: [{ type: 'text', content: 'sec' }] },
      ]);
      expect(json(a[ATTR_GEN_AI_OUTPUT_MESSAGES])).to.deep.equal([
        { role: 'assistant', parts: [{ type: 'text', content: 'long out' }], finish_reason: 'length' },
      ]);
      expect(a).to.include({ [ATTR_AUDIT_INPUT_ORIGINAL_LENGTH]: 11, [ATTR_AUDIT_OUTPUT_TRUNCATED]: true, [ATTR_AUDIT_OUTPUT_ORIGINAL_LENGTH]: 16 });
      expect(a[ATTR_AUDIT_OUTPUT_HASH]).to.equal(keyed('long output text'));
      expect(a[ATTR_AUDIT_DIAGNOSTICS]).to.deep.equal([AUDIT_DIAGNOSTICS.INPUT_TRUNCATED, AUDIT_DIAGNOSTICS.OUTPUT_TRUNCATED]);
    });
  });

  describe('configureAudit', () => {
    afterEach(() => configureAudit({}));

    it('sets process-wide content defaults and sealers that calls fall back to', async () => {
      configureAudit({
        content: { policy: 'full', hashKey: 'global-key', hashKeyId: 'g' },
        sealers: [{ seal: () => ({ 'test.sealed': true }) }],
        tracerProvider: rec.provider,
      });
      rec.reset();
      await traceInference({ provider: 'p', model: 'm', prompt: 'x' }, () => 1);
      const a = rec.only().attributes;
      expect(a).to.include({ [ATTR_AUDIT_HASH_KEY_ID]: 'g', 'test.sealed': true });
      expect(json(a[ATTR_GEN_AI_INPUT_MESSAGES])).to.deep.equal([{ role: 'user', parts: [{ type: 'text', content: 'x' }] }]);
    });

    it('lets a call override the defaults field by field', async () => {
      configureAudit({ content: { policy: 'full', hashKey: 'global-key', hashKeyId: 'g' }, tracerProvider: rec.provider });
      rec.reset();
      await traceInference({ provider: 'p', model: 'm', prompt: 'x' }, () => 1, { content: { output: 'none' } });
      const a = rec.only().attributes;
      expect(a).to.include({ [ATTR_AUDIT_CONTENT_INPUT_POLICY]: 'full', [ATTR_AUDIT_CONTENT_OUTPUT_POLICY]: 'none', [ATTR_AUDIT_HASH_KEY_ID]: 'g' });
    });
  });
});
