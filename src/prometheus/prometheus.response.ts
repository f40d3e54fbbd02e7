import { ApiError } from '../common/api-error.js';

/**
 * Pure interpretation of Prometheus HTTP API answers: the `data` of a success, or an ApiError
 * with a stable code. Upstream bodies and error strings never reach the ApiError (they may echo
 * the query or internals); callers log them instead.
 */

export interface Point {
  /** Unix seconds. */
  timestamp: number;
  value: number;
}

export interface TimeSeries {
  labels: Readonly<Record<string, string>>;
  /** Only finite values: NaN and ±Inf samples are dropped, so a time without a value is a missing point. */
  points: readonly Point[];
}

export interface Sample {
  labels: Readonly<Record<string, string>>;
  timestamp: number;
  value: number;
}

/** What went wrong upstream, for the logs only. */
export interface UpstreamFailure {
  status: number;
  errorType?: string;
  error?: string;
}

/** Prometheus' errorType values for which retrying later may help. */
const TRANSIENT_ERROR_TYPES = new Set(['timeout', 'canceled', 'unavailable']);
/** Statuses of proxies/load balancers in front of an unhealthy Prometheus. */
const UNAVAILABLE_STATUSES = new Set([429, 502, 503, 504]);

function parseJson(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function failure(status: number, envelope: { errorType?: unknown; error?: unknown } | undefined): UpstreamFailure {
  return {
    status,
    ...(typeof envelope?.errorType === 'string' ? { errorType: envelope.errorType.slice(0, 64) } : {}),
    ...(typeof envelope?.error === 'string' ? { error: envelope.error.slice(0, 500) } : {}),
  };
}

/**
 * Maps an HTTP answer of /api/v1/query(_range) to its `data`, or throws:
 * - errorType timeout/canceled/unavailable, or HTTP 429/502/503/504 -> PROMETHEUS_UNAVAILABLE (503)
 * - errorType bad_data, execution, internal, ... -> PROMETHEUS_ERROR (502), with `details.errorType`.
 *   Every query is built by this service from validated input, so a rejected query is this
 *   service's (or an incompatible backend's) fault, not the caller's: no 400.
 * - 401/403 (an auth proxy refusing this service's credentials), 404 (PROMETHEUS_URL is not a
 *   Prometheus API), other statuses and malformed bodies -> PROMETHEUS_ERROR (502).
 * `onFailure` receives the upstream details for logging.
 */
export function interpretResponse(status: number, body: unknown, onFailure: (failure: UpstreamFailure) => void = () => {}): unknown {
  const parsed = parseJson(body) as { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown } | undefined;
  const envelope = parsed && typeof parsed === 'object' ? parsed : undefined;
  if (status >= 200 && status < 300 && envelope?.status === 'success' && envelope.data && typeof envelope.data === 'object') {
    return envelope.data;
  }
  onFailure(failure(status, envelope));
  const errorType = envelope?.status === 'error' && typeof envelope.errorType === 'string' ? envelope.errorType : undefined;
  if ((errorType && TRANSIENT_ERROR_TYPES.has(errorType)) || (!errorType && UNAVAILABLE_STATUSES.has(status))) {
    return unavailable(errorType === 'timeout' ? 'Prometheus timed out evaluating the query' : 'Prometheus is unavailable');
  }
  if (errorType) {
    throw new ApiError('PROMETHEUS_ERROR', `Prometheus could not evaluate the query (${safeErrorType(errorType)})`, { errorType: safeErrorType(errorType) });
  }
  if (status === 401 || status === 403) {
    throw new ApiError('PROMETHEUS_ERROR', "Prometheus rejected this service's credentials (check PROMETHEUS_BEARER_TOKEN / PROMETHEUS_USERNAME)");
  }
  if (status === 404) throw new ApiError('PROMETHEUS_ERROR', 'PROMETHEUS_URL does not serve the Prometheus HTTP API');
  return unexpectedResponse();
}

function unavailable(message: string): never {
  throw new ApiError('PROMETHEUS_UNAVAILABLE', message);
}

/** errorType is an enum in Prometheus; anything else is reduced to "unknown" before it reaches a caller. */
function safeErrorType(errorType: string): string {
  return /^[a-z_]{1,32}$/.test(errorType) ? errorType : 'unknown';
}

export function unexpectedResponse(): never {
  throw new ApiError('PROMETHEUS_ERROR', 'Prometheus returned an unexpected response');
}

/** Sample values come as strings ("12.4", "NaN", "+Inf"); only finite ones are kept. */
function finite(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const number = Number(value);
  return Number.isFinite(number) && !(typeof value === 'string' && value.trim() === '') ? number : undefined;
}

function labelsOf(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function pair(value: unknown): Point | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const timestamp = finite(value[0]);
  const sample = finite(value[1]);
  return timestamp === undefined || sample === undefined ? undefined : { timestamp, value: sample };
}

function results(data: unknown, resultType: 'matrix' | 'vector'): Array<Record<string, unknown>> {
  const { resultType: actual, result } = (data ?? {}) as { resultType?: unknown; result?: unknown };
  if (actual !== resultType || !Array.isArray(result)) return unexpectedResponse();
  return result.filter((item): item is Record<string, unknown> => !!item && typeof item === 'object');
}

/** `data` of a range query -> series with finite points only. */
export function parseMatrix(data: unknown): TimeSeries[] {
  return results(data, 'matrix').map((item) => ({
    labels: labelsOf(item.metric),
    points: (Array.isArray(item.values) ? item.values : []).map(pair).filter((point): point is Point => point !== undefined),
  }));
}

/** `data` of an instant query -> samples with finite values only. */
export function parseVector(data: unknown): Sample[] {
  return results(data, 'vector').flatMap((item) => {
    const point = pair(item.value);
    return point ? [{ labels: labelsOf(item.metric), ...point }] : [];
  });
}
