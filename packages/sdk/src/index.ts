export type {
  AuditConfig,
  AuditContext,
  AuditHandle,
  AuditRecord,
  ChatMessage,
  ClickHouseOptions,
  Confidence,
  ContentOptions,
  ContentPolicy,
  Detector,
  Inference,
  InferenceRequest,
  InferenceResponse,
  MessagePart,
  ModelIdentity,
  OtlpOptions,
  RecordSealer,
  RedactionResult,
  Redactor,
  RequestParameters,
  StartAuditOptions,
  Usage,
} from './types.js';
export { traceInference } from './trace-inference.js';
export { withAuditContext, getAuditContext, setAuditContext } from './audit-context.js';
export { configureAudit, getAuditConfig, DEFAULT_MAX_CONTENT_LENGTH } from './config.js';
export { startAudit } from './start-audit.js';
export { createRedactor } from './redaction/redactor.js';
export {
  BUILTIN_DETECTORS,
  apiKeyDetector,
  credentialDetector,
  emailDetector,
  ipv4Detector,
  ipv6Detector,
  paymentCardDetector,
  phoneDetector,
} from './redaction/detectors.js';
export { luhnValid } from './redaction/luhn.js';
export { hashContent, BUILTIN_HASH_KEY, BUILTIN_HASH_KEY_ID } from './content/hash.js';
export { canonicalContent } from './content/canonical.js';
export { logprobStats, type ConfidenceStats } from './confidence.js';
export { findReasoning, type ReasoningBlock } from './reasoning.js';
export { VERSION } from './version.js';
