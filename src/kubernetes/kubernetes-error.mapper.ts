import { ApiError } from '../common/api-error.js';

export interface UpstreamCallContext {
  /** What was attempted, in words for the caller, e.g. "list virtualservices in namespace payments". */
  action: string;
  /** Whether the caller's own kubeconfig was used (their credentials, their RBAC). */
  override: boolean;
  timeoutMs: number;
}

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

function isTimeout(error: unknown): boolean {
  const names = [(error as Error)?.name, ((error as { cause?: Error })?.cause as Error | undefined)?.name];
  return names.includes('TimeoutError') || names.includes('AbortError');
}

/**
 * Turns anything the Kubernetes client throws into an ApiError. The client's ApiException message
 * embeds raw response bodies and headers, so it is never passed on; callers get our own words.
 * A Kubernetes 401 is not the caller's 401: their JWT was fine, the cluster refused a credential.
 */
export function mapKubernetesError(error: unknown, context: UpstreamCallContext): ApiError {
  if (error instanceof ApiError) return error;
  const status = statusCodeOf(error);
  const identity = context.override ? 'the credentials of the supplied kubeconfig' : "this service's own credentials";
  if (status === undefined) {
    if (isTimeout(error)) {
      return new ApiError('KUBERNETES_UNAVAILABLE', `The Kubernetes API did not answer within ${context.timeoutMs} ms (${context.action})`);
    }
    return new ApiError('KUBERNETES_UNAVAILABLE', `The Kubernetes API is unreachable (${context.action})`);
  }
  switch (status) {
    case 401:
      return context.override
        ? new ApiError('KUBECONFIG_CREDENTIALS_REJECTED', 'The cluster rejected the credentials of the supplied kubeconfig')
        : new ApiError('KUBERNETES_AUTH_FAILED', "The cluster rejected this service's own credentials");
    case 403:
      return new ApiError('KUBERNETES_FORBIDDEN', `Kubernetes RBAC does not allow ${identity} to ${context.action}`);
    case 404:
      return new ApiError('NOT_FOUND', `Not found: ${context.action}`);
    case 409:
      return new ApiError('CONFLICT', `The object changed concurrently (${context.action})`);
    case 400:
    case 422:
      return new ApiError('KUBERNETES_REJECTED', `The Kubernetes API rejected the request to ${context.action} (HTTP ${status})`);
    default:
      return new ApiError('KUBERNETES_UNAVAILABLE', `The Kubernetes API failed to ${context.action} (HTTP ${status})`);
  }
}
