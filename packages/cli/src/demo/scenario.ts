/*
 * What the demo's imaginary product asks its small models: a few features, each a
 * versioned prompt template, used by people of two tenants in several sessions.
 * Some prompts carry personal data on purpose, so redaction has something to do.
 */

export interface DemoTemplate {
  id: string;
  version: string;
  feature: string;
  operation: 'chat' | 'text_completion';
  system?: string;
  maxTokens: number;
  /** Prompts a user might send through this feature. */
  prompts: string[];
}

export const DEMO_TEMPLATES: DemoTemplate[] = [
  {
    id: 'support-reply',
    version: '3',
    feature: 'support-assistant',
    operation: 'chat',
    system: 'You are a support assistant for a banking app. Answer briefly and never ask for full card numbers.',
    maxTokens: 48,
    prompts: [
      'My card was charged twice for the same order yesterday. Can you refund one of them?',
      'I changed my phone to +44 20 7946 0958 but I still get codes on the old number.',
      'Please close my account, my email is dana.whitfield@example.org and I want a confirmation.',
      'Why was my transfer of 250 EUR to my landlord declined this morning?',
      'The app shows an error when I try to add card 4111 1111 1111 1111, what should I do?',
      'How do I set a travel notice before I fly to Lisbon next week?',
    ],
  },
  {
    id: 'ticket-summary',
    version: '1',
    feature: 'ticket-triage',
    operation: 'chat',
    system: 'Summarise the support ticket in one sentence for the on-call engineer.',
    maxTokens: 40,
    prompts: [
      'Customer reports the export to CSV times out after 30 seconds on accounts with more than 10k transactions. Started after the 4.2 release.',
      'User cannot log in from 10.24.8.17 since the VPN change; other users on the same network are fine.',
      'Webhook deliveries to https://hooks.partner.example/events fail with 401; their key was rotated on Monday.',
      'Mobile app crashes on Android 14 when opening statements older than a year.',
    ],
  },
  {
    id: 'intent-classifier',
    version: '2',
    feature: 'routing',
    operation: 'text_completion',
    maxTokens: 8,
    prompts: [
      'Classify the intent (billing, fraud, technical, other): "someone used my card in another country"\nIntent:',
      'Classify the intent (billing, fraud, technical, other): "the page keeps spinning when I upload a receipt"\nIntent:',
      'Classify the intent (billing, fraud, technical, other): "can I get an invoice for March"\nIntent:',
      'Classify the intent (billing, fraud, technical, other): "I was billed after I cancelled"\nIntent:',
    ],
  },
  {
    id: 'invoice-extract',
    version: '1',
    feature: 'document-intake',
    operation: 'text_completion',
    maxTokens: 32,
    prompts: [
      'Extract vendor, date and total as JSON.\nINVOICE 2024-0117 Northwind Supplies, 12 Feb 2025, total due 1,284.50 USD, contact billing@northwind.example\nJSON:',
      'Extract vendor, date and total as JSON.\nBlue Harbor Catering - invoice #A-5531 - 3 March 2025 - amount 640.00 EUR\nJSON:',
    ],
  },
];

export interface DemoPerson {
  userId: string;
  tenantId: string;
}

export const DEMO_PEOPLE: DemoPerson[] = [
  { userId: 'u-ana', tenantId: 'acme-health' },
  { userId: 'u-bilal', tenantId: 'acme-health' },
  { userId: 'u-chen', tenantId: 'acme-health' },
  { userId: 'u-dana', tenantId: 'globex-bank' },
  { userId: 'u-emeka', tenantId: 'globex-bank' },
  { userId: 'u-farah', tenantId: 'globex-bank' },
];

/** Two versions of the same model, as after an upgrade: the second takes over gradually. */
export const DEMO_MODEL_NAME = 'tiny-llama-demo';
export const DEMO_MODEL_VERSIONS = [
  { version: '1.0', seed: 1 },
  { version: '1.1', seed: 2 },
] as const;

/** A small deterministic generator so a demo run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}
