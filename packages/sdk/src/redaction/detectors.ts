/*
 * Built-in detectors. Patterns start with a lookbehind that refuses to begin inside a
 * word or a longer number, so "999.1.1.1" cannot match from its second digit and a
 * scan tries each token once. Prechecks use single-character searches (memchr speed)
 * to skip a pattern when the text cannot hold a match, which is the common case.
 */
import type { Detector } from '../types.js';
import { luhnValid } from './luhn.js';
import { FIRST, LOCATE, type HookedDetector } from './hooks.js';

const DIGIT = /\d/;

function hasDigit(text: string): boolean {
  return DIGIT.test(text);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function countDigits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (isDigit(text.charCodeAt(i))) n++;
  return n;
}

function digitsOf(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) if (isDigit(text.charCodeAt(i))) out += text[i];
  return out;
}

/** Replace only the named group, which ends the match (so no `d` flag is needed). */
function trailingGroup(m: RegExpExecArray, group: string): readonly [number, number] {
  const end = m.index + m[0].length;
  const value = m.groups?.[group];
  return [value === undefined ? m.index : end - value.length, end];
}

/**
 * E-mail addresses: local@domain.tld, with a TLD of letters so `lodash@4.17.21` is not
 * one. The match starts at '@' (a literal the engine finds fast); the local part is
 * captured by a lookbehind and the replaced range starts there.
 */
export const emailDetector: Detector = {
  name: 'email',
  pattern:
    /@(?<=(?<![\w.%+-])(?<local>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g,
  precheck: (text) => text.includes('@'),
  [FIRST]: (text: string, from: number) => text.indexOf('@', from),
  [LOCATE]: (m: RegExpExecArray) => [m.index - (m.groups?.['local'] ?? '').length, m.index + m[0].length],
} as HookedDetector;

const DATE_PREFIX = /^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?!\d)/;
const IPV4_SHAPE = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const PHONE_SEPARATOR = /[ .\-/()]/;

/**
 * Phone numbers: international (`+` then 8–15 digits), North American with
 * separators (`(555) 123-4567`, `555.123.4567`, `1-555-123-4567`), and national
 * numbers with a trunk prefix 0 and separators (`020 7946 0958`, `06 12 34 56 78`,
 * `0151 2345678`). A bare run of digits is never taken for a phone number: ids,
 * order numbers, years and prices are far more common in text than unformatted
 * phone numbers. Dates (`2024-01-15`, `15.01.2024`) have too few digits.
 */
export const phoneDetector: Detector = {
  name: 'phone',
  pattern: new RegExp(
    '(?<![\\w+.\\-/])(?:' +
      '\\+[1-9](?:[ .\\-()]{0,2}\\d){6,14}' + // international
      '|(?:1[ .-]?)?(?:\\([2-9]\\d{2}\\) ?|[2-9]\\d{2}[ .-])\\d{3}[ .-]\\d{4}' + // North America
      '|\\(?0\\d{1,4}\\)?[ .\\-/]?\\d{2,8}(?:[ .-]\\d{2,8}){0,4}' + // national, trunk prefix 0
      ')(?![\\w]|[.\\-/]\\d)',
    'g',
  ),
  validate(match) {
    const digits = countDigits(match);
    if (match.charCodeAt(0) === 43 /* + */) return digits >= 8 && digits <= 15;
    if (IPV4_SHAPE.test(match) || DATE_PREFIX.test(match)) return false;
    if (match.charCodeAt(0) === 48 /* 0 */ || match.startsWith('(0')) {
      return digits >= 10 && digits <= 12 && PHONE_SEPARATOR.test(match);
    }
    return digits === 10 || (digits === 11 && match.charCodeAt(0) === 49 /* 1 */);
  },
  precheck: hasDigit,
};

/**
 * Payment cards: 13–19 digits starting with 2–6 (the major networks' ranges),
 * optionally grouped by spaces or dashes (one kind), passing the Luhn check.
 */
export const paymentCardDetector: Detector = {
  name: 'payment_card',
  pattern: /(?<![\w.-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w]|[.-]\d)/g,
  validate(match) {
    if (match.includes(' ') && match.includes('-')) return false;
    const digits = digitsOf(match);
    return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
  },
  precheck: hasDigit,
};

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;

/**
 * IPv4 addresses with valid octets and no leading zeros (so `999.1.1.1`, `01.02.2024`
 * and three- or five-part version numbers do not match).
 */
export const ipv4Detector: Detector = {
  name: 'ipv4',
  pattern: new RegExp(`(?<![\\w.])${IPV4}(?![\\w]|\\.\\d)`, 'g'),
  precheck: (text) => text.includes('.') && hasDigit(text),
};

const H = '[0-9A-Fa-f]{1,4}';
const IPV6_FORMS = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){6}${IPV4}`,
  `(?:${H}:){1,4}:${IPV4}`,
  `::(?:[Ff]{4}(?::0{1,4})?:)?${IPV4}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?::${H}){1,7}`,
];
const IPV6_STRICT = new RegExp(`^(?:${IPV6_FORMS.join('|')})$`);
const HEX_GROUP = /[0-9A-Fa-f]{1,4}/g;

function isHexOrColon(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Index of the next ':' (at or after `from`) followed by a hex digit or ':' with
 * another ':' within five characters, or -1. The first colon of every address passes
 * (`2001:db8::1`, `::1:2:3`); a colon in prose is followed by a space, and
 * `[REDACTED:email]` has no second colon.
 */
function firstAddressColon(text: string, from = 0): number {
  for (let i = text.indexOf(':', from); i !== -1; i = text.indexOf(':', i + 1)) {
    if (!isHexOrColon(text.charCodeAt(i + 1))) continue;
    const next = text.indexOf(':', i + 1);
    if (next !== -1 && next - i <= 5) return i;
  }
  return -1;
}

/**
 * IPv6 addresses, full and compressed (`::`), also with an embedded IPv4. Three or
 * more groups are needed, so `::1`, `fe80::1`, `std::map` and `Bad::Cafe` are left
 * alone; times (`12:30:45`) and MAC addresses (`00:1A:2B:3C:4D:5E`) are not addresses.
 */
export const ipv6Detector: Detector = {
  name: 'ipv6',
  // A loose candidate starting at its first ':' (hex letters are everywhere in text,
  // colons are not), the leading group captured by a lookbehind; validate is strict.
  pattern: /:(?<=(?<![\w:.])(?<lead>[0-9A-Fa-f]{0,4}):)[0-9A-Fa-f:]*(?:\.\d{1,3}){0,3}(?![\w:]|\.\d)/g,
  validate(candidate) {
    if (!IPV6_STRICT.test(candidate)) return false;
    if (candidate.includes('.')) return true;
    const groups = candidate.match(HEX_GROUP);
    return groups !== null && groups.length >= 3;
  },
  precheck: (text) => firstAddressColon(text) !== -1,
  [FIRST]: firstAddressColon,
  [LOCATE]: (m: RegExpExecArray) => [m.index - (m.groups?.['lead'] ?? '').length, m.index + m[0].length],
} as HookedDetector;

// Vendor key prefixes, found through a character in them that is rare in prose: for
// SCAN_CHARS[k], the prefixes PREFIXES[FIRST_PREFIX[k]] to PREFIXES[FIRST_PREFIX[k + 1] - 1]
// contain it at OFFSETS[...]. Single-character searches run at memchr speed.
const SCAN_CHARS = ['-', '_', 'A', 'J', 'B'];
const FIRST_PREFIX = [0, 2, 4, 7, 8, 9];
const PREFIXES = ['sk-', 'xox', 'gh', 'github_pat_', 'AKIA', 'ASIA', 'AIza', 'eyJ', 'Bearer'];
const OFFSETS = [2, 4, 3, 6, 0, 0, 0, 2, 0];

/** Where the next vendor-prefixed token may start, at or after `from`, or -1. */
function firstKeyPrefix(text: string, from: number): number {
  // Lower-case `bearer` has no rare character; a whole-word search is still cheap.
  let best = text.indexOf('bearer', from);
  for (let k = 0; k < SCAN_CHARS.length; k++) {
    const char = SCAN_CHARS[k]!;
    for (let i = text.indexOf(char, from); i !== -1 && (best === -1 || i < best + 6); i = text.indexOf(char, i + 1)) {
      let hit = -1;
      for (let p = FIRST_PREFIX[k]!; p < FIRST_PREFIX[k + 1]!; p++) {
        const start = i - OFFSETS[p]!;
        if (start >= from && text.startsWith(PREFIXES[p]!, start)) {
          hit = start;
          break;
        }
      }
      if (hit !== -1) {
        if (best === -1 || hit < best) best = hit;
        break;
      }
    }
  }
  return best;
}

/**
 * Token-shaped secrets, in one pass: `Bearer <token>` (only the token is replaced),
 * JSON Web Tokens (`eyJ….eyJ….…`), OpenAI/Anthropic `sk-…` (`sk-proj-…`), GitHub
 * `ghp_…`/`gho_…`/`github_pat_…`, AWS access key ids `AKIA…`/`ASIA…`, Slack
 * `xoxb-…` and friends, Google `AIza…`.
 */
export const apiKeyDetector: Detector = {
  name: 'api_key',
  pattern: new RegExp(
    '(?<![\\w-])(?:' +
      '[Bb]earer\\s+(?<bearer>[A-Za-z0-9\\-._~+/]{8,}=*)' +
      '|eyJ[A-Za-z0-9_-]{8,}\\.ey[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*' +
      '|sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\\d\\d-)?[A-Za-z0-9_-]{20,}' +
      '|gh[pousr]_[A-Za-z0-9]{36,255}' +
      '|github_pat_[A-Za-z0-9_]{22,255}' +
      '|(?:AKIA|ASIA)[0-9A-Z]{16}' +
      '|xox[bpars]-[A-Za-z0-9-]{10,}' +
      '|AIza[0-9A-Za-z_-]{35}' +
      ')(?![\\w-])',
    'g',
  ),
  [FIRST]: firstKeyPrefix,
  [LOCATE]: (m: RegExpExecArray) => trailingGroup(m, 'bearer'),
} as HookedDetector;

const CREDENTIAL_NAME = /(?:api[_-]?key|access[_-]?token|auth[_-]?token|secret[_-]?key|client[_-]?secret|passw(?:or)?d)$/i;

/** Is some ':' or '=' preceded by a telling name? Checks only the few separators. */
function hasCredentialName(text: string): boolean {
  return namedBefore(text, ':') || namedBefore(text, '=');
}

function namedBefore(text: string, separator: string): boolean {
  for (let i = text.indexOf(separator); i !== -1; i = text.indexOf(separator, i + 1)) {
    let end = i;
    // Skip the quote and spaces of `"password" : `.
    while (end > 0 && end > i - 4) {
      const c = text.charCodeAt(end - 1);
      if (c === 34 || c === 39 || c === 32 || c === 9) end--;
      else break;
    }
    if (end > 0 && CREDENTIAL_NAME.test(text.slice(Math.max(0, end - 16), end))) return true;
  }
  return false;
}

/**
 * A secret assigned to a telling name: `api_key=…`, `"apiKey": "…"`, `password: …`,
 * `client_secret=…`, `X-API-Key: …`. Only the value is replaced.
 */
export const credentialDetector: Detector = {
  name: 'credential',
  pattern:
    /(?<![\w-])(?:x-)?(?:api[_-]?key|access[_-]?token|auth[_-]?token|secret[_-]?key|client[_-]?secret|passw(?:or)?d)["']?\s*[:=]\s*["']?(?<secret>[^\s"'&,;]{6,})/gi,
  precheck: hasCredentialName,
  [LOCATE]: (m: RegExpExecArray) => trailingGroup(m, 'secret'),
} as HookedDetector;

/**
 * Every built-in detector, in the order they run. Secrets go first, so a long key is
 * replaced whole before the number detectors could claim digits inside it; IPv6
 * before IPv4 for the embedded form.
 */
export const BUILTIN_DETECTORS: readonly Detector[] = Object.freeze([
  apiKeyDetector,
  credentialDetector,
  emailDetector,
  paymentCardDetector,
  ipv6Detector,
  ipv4Detector,
  phoneDetector,
]);
