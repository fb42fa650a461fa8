/*
 * Keyed content hashes: HMAC-SHA256 over UTF-8, lowercase hex. Keyed so a hash of a
 * short or guessable text (a yes/no answer, a phone number) cannot be confirmed by
 * anyone without the key, while equal contents still correlate across records.
 */
import * as crypto from 'node:crypto';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { ENV_AUDIT_HASH_KEY, ENV_AUDIT_HASH_KEY_ID } from '@slm-audit/semconv';
import { warnOnce } from '../diag.js';
import type { ContentOptions } from '../types.js';
import type { ContentHasher } from '../internal-types.js';

/**
 * Used when no key is configured, so hashes still correlate. It is public (it is in
 * this source), so such hashes prove nothing to anyone who can guess the content.
 */
export const BUILTIN_HASH_KEY = 'slm-audit/builtin-content-hash-key/v1';
export const BUILTIN_HASH_KEY_ID = 'builtin';
export const DEFAULT_HASH_KEY_ID = 'default';

type OneShotHash = (algorithm: string, data: string | Buffer, outputEncoding: string) => string | Buffer;
// crypto.hash (Node >= 20.12): a one-shot digest without the stream object createHmac builds.
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
const BLOCK = 64;

class HmacHasher implements ContentHasher {
  private readonly key: KeyObject;
  /** K xor ipad as a string, when every byte is ASCII (so its UTF-8 is itself). */
  private readonly innerPad: string | undefined;
  /** K xor opad, then room for the inner digest. Reused: hashing is synchronous. */
  private readonly outerBlock: Buffer | undefined;

  constructor(keyBytes: Buffer, readonly keyId: string) {
    this.key = createSecretKey(keyBytes);
    if (typeof oneShot === 'function' && keyBytes.length <= BLOCK && keyBytes.every((b) => b < 0x80)) {
      const padded = Buffer.alloc(BLOCK);
      keyBytes.copy(padded);
      this.innerPad = String.fromCharCode(...padded.map((b) => b ^ 0x36));
      this.outerBlock = Buffer.alloc(BLOCK + 32);
      Buffer.from(padded.map((b) => b ^ 0x5c)).copy(this.outerBlock);
    }
  }

  /** HMAC-SHA256 (RFC 2104): H(K^opad || H(K^ipad || text)), one-shot when possible. */
  hash(text: string): string {
    if (this.innerPad !== undefined && this.outerBlock !== undefined) {
      (oneShot!('sha256', this.innerPad + text, 'buffer') as Buffer).copy(this.outerBlock, BLOCK);
      return oneShot!('sha256', this.outerBlock, 'hex') as string;
    }
    return createHmac('sha256', this.key).update(text, 'utf8').digest('hex');
  }
}

// A key object per distinct key: configs built per call must not rebuild it.
const hashers = new Map<string, ContentHasher>();

function keyBytes(key: string | Uint8Array | undefined): Buffer | undefined {
  if (key === undefined || key === null) return undefined;
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  return bytes.length > 0 ? bytes : undefined;
}

/** The hasher for these options: ContentOptions.hashKey, else SLM_AUDIT_HASH_KEY, else the built-in key. */
export function createHasher(options: ContentOptions | undefined, env: NodeJS.ProcessEnv = process.env): ContentHasher {
  let bytes = keyBytes(options?.hashKey);
  let keyId = options?.hashKeyId;
  if (bytes === undefined) {
    bytes = keyBytes(env[ENV_AUDIT_HASH_KEY]);
    if (bytes !== undefined) keyId ??= env[ENV_AUDIT_HASH_KEY_ID] || undefined;
  }
  if (bytes === undefined) {
    warnOnce(
      'builtin_hash_key',
      `no content hash key configured (ContentOptions.hashKey or ${ENV_AUDIT_HASH_KEY}); using the built-in key: hashes correlate but are not secret`,
    );
    bytes = Buffer.from(BUILTIN_HASH_KEY, 'utf8');
    // Whatever id was configured names a key that is not in use: say which one is.
    keyId = BUILTIN_HASH_KEY_ID;
  }
  keyId ??= DEFAULT_HASH_KEY_ID;
  const cacheKey = `${keyId}\u0000${bytes.toString('base64')}`;
  let hasher = hashers.get(cacheKey);
  if (hasher === undefined) {
    hasher = new HmacHasher(bytes, keyId);
    hashers.set(cacheKey, hasher);
  }
  return hasher;
}

/**
 * The content hash the SDK records for `text` (the output or reasoning text, or the
 * `canonicalContent` of input messages / system instructions), for checking a record
 * against content kept elsewhere.
 */
export function hashContent(text: string, options?: Pick<ContentOptions, 'hashKey'>): string {
  return createHasher({ hashKey: options?.hashKey }).hash(text);
}
