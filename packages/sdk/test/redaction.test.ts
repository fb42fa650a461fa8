import { expect } from 'chai';
import {
  apiKeyDetector,
  BUILTIN_DETECTORS,
  createRedactor,
  credentialDetector,
  emailDetector,
  ipv4Detector,
  ipv6Detector,
  luhnValid,
  paymentCardDetector,
  phoneDetector,
  type Detector,
} from '../src/index.js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What one detector alone replaces in `text`. */
function found(detector: Detector, text: string): string[] {
  const redacted = createRedactor([detector]).redact(text);
  // Recover the replaced pieces: the kept text between markers is literal.
  const parts = redacted.text.split(`[REDACTED:${detector.name}]`);
  const aligned = new RegExp(`^${parts.map(escape).join('([^]+?)')}$`).exec(text);
  expect(aligned, `cannot align ${JSON.stringify(redacted.text)} with the original`).to.not.equal(null);
  expect(redacted.count).to.equal(parts.length - 1);
  return aligned!.slice(1);
}

function expectFinds(detector: Detector, cases: Record<string, string[]>): void {
  for (const [text, expected] of Object.entries(cases)) {
    expect(found(detector, text), text).to.deep.equal(expected);
  }
}

describe('redaction', () => {
  it('exports the built-in detectors in order, each with a distinct name', () => {
    expect(BUILTIN_DETECTORS.map((d) => d.name)).to.deep.equal([
      'api_key',
      'credential',
      'email',
      'payment_card',
      'ipv6',
      'ipv4',
      'phone',
    ]);
    expect(Object.isFrozen(BUILTIN_DETECTORS)).to.equal(true);
  });

  describe('email', () => {
    it('finds addresses', () => {
      expectFinds(emailDetector, {
        'write to jane.doe+tickets@mail.example.co.uk today': ['jane.doe+tickets@mail.example.co.uk'],
        'a@b.io, B_C-9@sub-domain.example.com.': ['a@b.io', 'B_C-9@sub-domain.example.com'],
        '<ops@example.org>': ['ops@example.org'],
      });
    });
    it('leaves near misses alone', () => {
      expectFinds(emailDetector, {
        'install lodash@4.17.21 and @types/node': [],
        'ping @alice on chat, or user@localhost': [],
        'price: 5 @ $3': [],
      });
    });
  });

  describe('phone', () => {
    it('finds international and common national formats', () => {
      expectFinds(phoneDetector, {
        'call +1 (555) 123-4567 now': ['+1 (555) 123-4567'],
        'UK office +44 20 7946 0958.': ['+44 20 7946 0958'],
        'DE: +49 30 12345678, FR: +33 1 23 45 67 89': ['+49 30 12345678', '+33 1 23 45 67 89'],
        'E.164 +14155552671': ['+14155552671'],
        'US 555-123-4567 or (555) 123-4567 or 555.123.4567': ['555-123-4567', '(555) 123-4567', '555.123.4567'],
        'toll free 1-800-555-0199': ['1-800-555-0199'],
        'London 020 7946 0958, mobile 07700 900123': ['020 7946 0958', '07700 900123'],
        'Berlin (030) 1234 5678 / Paris 01 23 45 67 89': ['(030) 1234 5678', '01 23 45 67 89'],
      });
    });
    it('leaves years, ids, prices, dates, versions and order numbers alone', () => {
      expectFinds(phoneDetector, {
        'in 2024 and 1999': [],
        'user id 1234567890 and 5551234567': [],
        'costs $1,299.99 or 12 500 EUR': [],
        'on 2024-01-15, 15.01.2024, 01/15/2024': [],
        'version 10.0.19045.2965 and 1.2.3': [],
        'order ORD-2024-000123 and #123456789 and 123-456-789': [],
        'ip 192.168.100.200': [],
        'score +5 or +100%': [],
      });
    });
  });

  describe('payment_card', () => {
    it('finds Luhn-valid numbers of 13 to 19 digits, grouped or not', () => {
      expectFinds(paymentCardDetector, {
        'visa 4111 1111 1111 1111 ok': ['4111 1111 1111 1111'],
        'mc 5500-0000-0000-0004; amex 378282246310005': ['5500-0000-0000-0004', '378282246310005'],
        'visa13 4222222222222 and 19 digits 6011000990139424000': ['4222222222222'],
      });
      expect(luhnValid('6011000990139424')).to.equal(true);
    });
    it('leaves Luhn-invalid numbers, mixed separators, ids and other prefixes alone', () => {
      expectFinds(paymentCardDetector, {
        'bad 4111 1111 1111 1112': [],
        'mixed 4111 1111-1111 1111': [],
        'account 1234567812345670': [],
        'too short 411111111111': [],
        'tracking 9400100000000000000000': [],
        'version 4111.1111.1111.1111': [],
      });
    });
  });

  describe('ipv4', () => {
    it('finds addresses with valid octets', () => {
      expectFinds(ipv4Detector, {
        'from 192.168.1.10 to 10.0.0.255.': ['192.168.1.10', '10.0.0.255'],
        'ip=8.8.8.8,': ['8.8.8.8'],
      });
    });
    it('leaves invalid octets, versions and dates alone', () => {
      expectFinds(ipv4Detector, {
        'bad 999.1.1.1 and 256.1.1.1': [],
        'v1.2.3 and 1.2.3.4.5 and v1.2.3.4': [],
        'on 01.02.2024 at 10.30': [],
        'build 10.0.19045.2965': [],
      });
    });
  });

  describe('ipv6', () => {
    it('finds full, compressed and IPv4-embedded forms', () => {
      expectFinds(ipv6Detector, {
        'host 2001:0db8:85a3:0000:0000:8a2e:0370:7334 up': ['2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
        'via 2001:db8::1 and fe80::1ff:fe23:4567:890a.': ['2001:db8::1', 'fe80::1ff:fe23:4567:890a'],
        'mapped ::ffff:192.0.2.128 here': ['::ffff:192.0.2.128'],
        'net 2001:db8:85a3:: and ::1:2:3': ['2001:db8:85a3::', '::1:2:3'],
      });
    });
    it('leaves times, MAC addresses, C++ scopes and short forms alone', () => {
      expectFinds(ipv6Detector, {
        'at 12:30:45 or 10:30': [],
        'mac 00:1A:2B:3C:4D:5E': [],
        'use std::map and Bad::Cafe': [],
        'loopback ::1, fe80::1 and the prefix 2001:db8::': [],
        'Note: see [REDACTED:email]': [],
      });
    });
  });

  describe('api_key', () => {
    it('finds vendor keys, bearer tokens and JWTs', () => {
      const jwt =
        'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
      expectFinds(apiKeyDetector, {
        'key sk-proj-abcDEF1234567890ghijKLMN_op-q': ['sk-proj-abcDEF1234567890ghijKLMN_op-q'],
        'anthropic sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345': ['sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345'],
        'gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 and github_pat_11ABCDEFG0123456789_abcdefghijklmnop': [
          'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
          'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
        ],
        'aws AKIAIOSFODNN7EXAMPLE, sts ASIAY34FZKBOKMUTVV7A': ['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A'],
        'slack xoxb-123456789012-1234567890123-AbCdEfGhIjKl': ['xoxb-123456789012-1234567890123-AbCdEfGhIjKl'],
        'google AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY ok': ['AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'],
        [`token ${jwt}`]: [jwt],
        'Authorization: Bearer abc.DEF_123-xyz~+/==': ['abc.DEF_123-xyz~+/=='],
        'header authorization: bearer 0123456789abcdef': ['0123456789abcdef'],
      });
    });
    it('leaves look-alikes alone', () => {
      expectFinds(apiKeyDetector, {
        'we use sk-learn and task-runner': [],
        'the ghp_ prefix and github_pat_ prefix': [],
        'AKIA is a prefix; AKIAshort': [],
        'the bearer of bad news; Bearer token': [],
        'eyJ is base64 for {"': [],
      });
    });
  });

  describe('credential', () => {
    it('replaces only the value of a secret assigned to a telling name', () => {
      expectFinds(credentialDetector, {
        'api_key=abcd1234efgh&x=1': ['abcd1234efgh'],
        '{"apiKey": "zyx987654321", "password":"hunter2!"}': ['zyx987654321', 'hunter2!'],
        'X-API-Key: 0123456789ab': ['0123456789ab'],
        'client_secret = s3cr3t-value': ['s3cr3t-value'],
      });
    });
    it('leaves mentions without a value alone', () => {
      expectFinds(credentialDetector, {
        'reset your password: go to settings': [],
        'the api key is in the vault': [],
        'token=abc': [],
      });
    });
  });

  describe('createRedactor', () => {
    it('redacts with all built-in detectors, types in text order, overlaps to the earlier detector', () => {
      const r = createRedactor();
      const result = r.redact(
        'Card 4111 1111 1111 1111, mail ann@example.org, key sk-abcdefghijklmnopqrstuvwxyz, call +1 555 123 4567, ip ::ffff:10.0.0.1',
      );
      expect(result.text).to.equal(
        'Card [REDACTED:payment_card], mail [REDACTED:email], key [REDACTED:api_key], call [REDACTED:phone], ip [REDACTED:ipv6]',
      );
      expect(result.types).to.deep.equal(['payment_card', 'email', 'api_key', 'phone', 'ipv6']);
      expect(result.count).to.equal(5);
    });

    it('returns the text unchanged when nothing is found', () => {
      const text = 'Plain text: nothing here, version 1.2.3, year 2024.';
      expect(createRedactor().redact(text)).to.deep.equal({ text, types: [], count: 0 });
    });

    it('takes custom detectors: any flags, validate, replacement, a secret group', () => {
      const employee: Detector = {
        name: 'employee_id',
        pattern: /\bEMP-(\d{6})\b/i, // no g flag: the redactor adds it
        validate: (m) => !m.endsWith('000000'),
        replacement: '<employee>',
      };
      const pin: Detector = { name: 'pin', pattern: /\bPIN:\s*(?<secret>\d{4})\b/g };
      const r = createRedactor([employee, pin]);
      expect(r.redact('emp-123456 and EMP-000000, PIN: 1234')).to.deep.equal({
        text: '<employee> and EMP-000000, PIN: [REDACTED:pin]',
        types: ['employee_id', 'pin'],
        count: 2,
      });
      // The redactor keeps its own copies of the patterns.
      expect(employee.pattern.lastIndex).to.equal(0);
      expect(employee.pattern.flags).to.equal('i');
    });

    it('survives a pattern that can match empty text', () => {
      const r = createRedactor([{ name: 'maybe', pattern: /x*/g }]);
      expect(r.redact('axxb')).to.deep.equal({ text: 'a[REDACTED:maybe]b', types: ['maybe'], count: 1 });
    });

    it('rejects a detector without a name or a pattern', () => {
      expect(() => createRedactor([{ name: '', pattern: /x/g }])).to.throw(TypeError);
      expect(() => createRedactor([{ name: 'x' } as unknown as Detector])).to.throw(TypeError);
    });

    it('redacts 2 KB of ordinary text in a few microseconds', () => {
      const r = createRedactor();
      const base =
        'I ordered running shoes last week (order 48213, placed 2024-03-02) and they arrived today, ' +
        'but the sizes differ. My email is jane.doe@example.com and I paid $129.99. Thanks! ';
      let text = '';
      while (text.length < 2048) text += base;
      for (let i = 0; i < 2000; i++) r.redact(text);
      const n = 5000;
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) r.redact(text);
      const perCallUs = Number(process.hrtime.bigint() - start) / n / 1000;
      // Generous bound for shared CI machines; the bench tracks the real number.
      expect(perCallUs).to.be.below(50);
    });
  });

  describe('luhnValid', () => {
    it('checks the Luhn sum of ASCII digits only', () => {
      expect(luhnValid('79927398713')).to.equal(true);
      expect(luhnValid('79927398710')).to.equal(false);
      expect(luhnValid('')).to.equal(false);
      expect(luhnValid('4111 1111 1111 1111')).to.equal(false);
    });
  });
});
