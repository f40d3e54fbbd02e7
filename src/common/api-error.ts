/**
 * Domain errors carry a stable code; only ApiExceptionFilter turns codes into HTTP statuses,
 * so services never throw HTTP exceptions and every error leaves the API in one shape.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_WEIGHTS: 400,
  UNKNOWN_DESTINATION: 400,
  NO_MATCHING_ROUTE: 400,
  INVALID_KUBECONFIG: 400,
  KUBECONFIG_FIELD_REFUSED: 400,
  OVERRIDE_DISABLED: 400,
  SERVER_NOT_ALLOWED: 400,
  KUBECONFIG_CREDENTIALS_REJECTED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  KUBERNETES_FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  ISTIO_NOT_INSTALLED: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  KUBERNETES_REJECTED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  KUBERNETES_AUTH_FAILED: 502,
  PROMETHEUS_ERROR: 502,
  CLUSTER_NOT_CONFIGURED: 503,
  KUBERNETES_UNAVAILABLE: 503,
  PROMETHEUS_NOT_CONFIGURED: 503,
  PROMETHEUS_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, caller-safe facts (e.g. the destinations that exist). Never upstream bodies. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
