/**
 * Pure PromQL builders for Istio's standard metrics. Label values arrive already validated as
 * DNS-1123 labels (DTOs); escaping here is a second layer so a builder can never emit a selector
 * that a value breaks out of.
 */

/** Istio's default Prometheus scrape interval; steps and rate windows never go below what it resolves. */
export const SCRAPE_INTERVAL_SECONDS = 15;

export const REQUESTS_TOTAL = 'istio_requests_total';
export const REQUEST_DURATION_BUCKETS = 'istio_request_duration_milliseconds_bucket';

/** HTTP failures: any 5xx, or code 0 (no response: connection reset, upstream unreachable, timeouts). */
export const FAILED_RESPONSE_CODES = '5[0-9]{2}|0';
/** Non-OK gRPC statuses (1-16); Istio reports them on HTTP-OK (200) responses. */
export const FAILED_GRPC_STATUSES = '[1-9]|1[0-6]';

export interface ServiceTarget {
  service: string;
  namespace: string;
}

export type LabelMatcher = readonly [label: string, operator: '=' | '!=' | '=~' | '!~', value: string];

/** Escapes a value for a double-quoted PromQL string (backslash, quote, newline). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function selector(metric: string, matchers: readonly LabelMatcher[]): string {
  return `${metric}{${matchers.map(([label, operator, value]) => `${label}${operator}"${escapeLabelValue(value)}"`).join(',')}}`;
}

/** PromQL duration in whole seconds. */
export function duration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0) throw new RangeError(`duration must be a positive whole number of seconds, got ${seconds}`);
  return `${seconds}s`;
}

function rate(metric: string, matchers: readonly LabelMatcher[], windowSeconds: number): string {
  return `rate(${selector(metric, matchers)}[${duration(windowSeconds)}])`;
}

/** Requests to the service as its own (server-side) proxy reports them: one count per request, no double counting. */
export function inboundMatchers(target: ServiceTarget): LabelMatcher[] {
  return [
    ['reporter', '=', 'destination'],
    ['destination_service_name', '=', target.service],
    ['destination_service_namespace', '=', target.namespace],
  ];
}

/** Requests per second. */
export function requestRateQuery(target: ServiceTarget, windowSeconds: number): string {
  return `sum(${rate(REQUESTS_TOTAL, inboundMatchers(target), windowSeconds)})`;
}

/**
 * Share (0..1) of requests that failed: 5xx or code 0, plus non-OK gRPC statuses on HTTP 200.
 * The two parts select disjoint series and are added with `+`. Each is wrapped in `or vector(0)`
 * only so that a missing part counts as 0 (a service with traffic but no 5xx still gets 0, not a
 * gap); nothing is joined with `or` (Kiali's `A or B` drops B whenever A exists). No traffic at a
 * time makes the denominator absent or 0, so the point is absent or NaN, and then dropped.
 */
export function errorRateQuery(target: ServiceTarget, windowSeconds: number): string {
  const inbound = inboundMatchers(target);
  const failed = `sum(${rate(REQUESTS_TOTAL, [...inbound, ['response_code', '=~', FAILED_RESPONSE_CODES]], windowSeconds)})`;
  const grpcFailed = `sum(${rate(
    REQUESTS_TOTAL,
    [...inbound, ['response_code', '=', '200'], ['grpc_response_status', '=~', FAILED_GRPC_STATUSES]],
    windowSeconds,
  )})`;
  return `((${failed} or vector(0)) + (${grpcFailed} or vector(0))) / ${requestRateQuery(target, windowSeconds)}`;
}

/**
 * A latency quantile in milliseconds over all requests of the service. The histogram is not
 * filtered by response code: Istio's destination proxy reports one histogram per workload pair.
 */
export function latencyQuantileQuery(target: ServiceTarget, windowSeconds: number, quantile = 0.99): string {
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`quantile must be between 0 and 1, got ${quantile}`);
  return `histogram_quantile(${quantile}, sum by (le) (${rate(REQUEST_DURATION_BUCKETS, inboundMatchers(target), windowSeconds)}))`;
}

/** Labels of one observed service-to-service edge, kept per response code so errors are classified in code. */
export const EDGE_LABELS = [
  'source_canonical_service',
  'source_workload_namespace',
  'destination_service_name',
  'destination_service_namespace',
  'response_code',
  'grpc_response_status',
] as const;

/**
 * Observed request rates by edge and response code, for edges that end in the namespace
 * (`side: 'destination'`) or start from a workload in it (`side: 'source'`). Destination-reported,
 * as the metrics endpoints, so each request is counted once.
 */
export function edgeTrafficQuery(side: 'source' | 'destination', namespace: string, windowSeconds: number): string {
  const namespaceLabel = side === 'destination' ? 'destination_service_namespace' : 'source_workload_namespace';
  return `sum by (${EDGE_LABELS.join(', ')}) (${rate(REQUESTS_TOTAL, [['reporter', '=', 'destination'], [namespaceLabel, '=', namespace]], windowSeconds)})`;
}

/** Whether a response counts as failed, by the same rule as errorRateQuery. */
export function isFailedResponse(responseCode: string | undefined, grpcStatus: string | undefined): boolean {
  const whole = (pattern: string, value: string | undefined) => value !== undefined && new RegExp(`^(?:${pattern})$`).test(value);
  return whole(FAILED_RESPONSE_CODES, responseCode) || (responseCode === '200' && whole(FAILED_GRPC_STATUSES, grpcStatus));
}
