import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_AUDIT_MODEL_CONTEXT_SIZE,
  ATTR_AUDIT_MODEL_DIGEST,
  ATTR_AUDIT_MODEL_FAMILY,
  ATTR_AUDIT_MODEL_PARAMETER_SIZE,
  ATTR_AUDIT_MODEL_QUANTIZATION,
  ATTR_AUDIT_MODEL_VERSION,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
} from '@slm-audit/semconv';
import type { ModelIdentity, RequestParameters } from './types.js';

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Only strings; undefined when none are left. */
export function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = value.filter((v): v is string => typeof v === 'string');
  return out.length > 0 || value.length === 0 ? out : undefined;
}

const NUMERIC_PARAMETERS: ReadonlyArray<readonly [keyof RequestParameters, string]> = [
  ['temperature', ATTR_GEN_AI_REQUEST_TEMPERATURE],
  ['topP', ATTR_GEN_AI_REQUEST_TOP_P],
  ['topK', ATTR_GEN_AI_REQUEST_TOP_K],
  ['maxTokens', ATTR_GEN_AI_REQUEST_MAX_TOKENS],
  ['seed', ATTR_GEN_AI_REQUEST_SEED],
  ['frequencyPenalty', ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY],
  ['presencePenalty', ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY],
  ['choiceCount', ATTR_GEN_AI_REQUEST_CHOICE_COUNT],
];

/** gen_ai.request.* from the sampling parameters; values of the wrong type are skipped. */
export function writeRequestParameters(parameters: RequestParameters | undefined, attrs: Attributes): void {
  if (parameters === undefined || parameters === null || typeof parameters !== 'object') return;
  for (const [key, name] of NUMERIC_PARAMETERS) {
    const value = parameters[key];
    if (isFiniteNumber(value)) attrs[name] = value;
  }
  const stop = stringList(parameters.stopSequences);
  if (stop !== undefined) attrs[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stop;
  if (typeof parameters.stream === 'boolean') attrs[ATTR_GEN_AI_REQUEST_STREAM] = parameters.stream;
}

/** slm_audit.model.* from the identities given, later ones winning field by field. */
export function writeModelIdentity(
  first: ModelIdentity | undefined,
  second: ModelIdentity | undefined,
  attrs: Attributes,
): void {
  const pickString = (key: keyof ModelIdentity, name: string): void => {
    const value = isNonEmptyString(second?.[key]) ? second?.[key] : first?.[key];
    if (isNonEmptyString(value)) attrs[name] = value;
  };
  pickString('version', ATTR_AUDIT_MODEL_VERSION);
  pickString('digest', ATTR_AUDIT_MODEL_DIGEST);
  pickString('quantization', ATTR_AUDIT_MODEL_QUANTIZATION);
  pickString('family', ATTR_AUDIT_MODEL_FAMILY);
  pickString('parameterSize', ATTR_AUDIT_MODEL_PARAMETER_SIZE);
  const size = isFiniteNumber(second?.contextSize) ? second?.contextSize : first?.contextSize;
  if (isFiniteNumber(size)) attrs[ATTR_AUDIT_MODEL_CONTEXT_SIZE] = size;
}
