import { ERROR_TYPE_OTHER } from '@slm-audit/semconv';

/**
 * error.type for a thrown value: a string `code` (e.g. ECONNREFUSED) or `type`
 * (e.g. rate_limit_error) says more than the class name, so those come first.
 */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; type?: unknown; name?: unknown };
    if (typeof e.code === 'string' && e.code.length > 0) return e.code;
    if (typeof e.type === 'string' && e.type.length > 0) return e.type;
    if (typeof e.name === 'string' && e.name.length > 0) return e.name;
  }
  return ERROR_TYPE_OTHER;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  try {
    return String(error);
  } catch {
    return 'unknown error';
  }
}
