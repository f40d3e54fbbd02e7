import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';

export const KUBECONFIG_HEADER = 'x-kubeconfig';

function nonEmpty(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ApiError('INVALID_KUBECONFIG', 'kubeconfig must be a base64 string');
  return value;
}

/**
 * The caller's base64 kubeconfig, from the `X-Kubeconfig` header (keeps credentials out of URLs and
 * access logs), the `kubeconfig` query parameter, or the `kubeconfig` body field of a PATCH.
 * Two different values are refused rather than silently picking one.
 */
export const KubeconfigOverride = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown }>();
  const fromHeader = nonEmpty(request.headers[KUBECONFIG_HEADER]);
  const fromQuery = nonEmpty(request.query?.kubeconfig);
  const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : undefined;
  const fromBody = nonEmpty(body?.kubeconfig);
  const values = [...new Set([fromHeader, fromQuery, fromBody].filter((value): value is string => value !== undefined))];
  if (values.length > 1) throw new ApiError('INVALID_KUBECONFIG', 'Two different kubeconfig overrides were sent; send one (X-Kubeconfig header preferred)');
  return values[0];
});
