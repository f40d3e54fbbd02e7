import {
  duration,
  edgeTrafficQuery,
  errorRateQuery,
  escapeLabelValue,
  isFailedResponse,
  latencyQuantileQuery,
  requestRateQuery,
  selector,
} from './promql.js';

const target = { service: 'payment-service', namespace: 'payments' };
const inbound = 'reporter="destination",destination_service_name="payment-service",destination_service_namespace="payments"';

describe('PromQL builders', () => {
  it.each([
    ['rps, 1m window', requestRateQuery(target, 60), `sum(rate(istio_requests_total{${inbound}}[60s]))`],
    ['rps, 15m window', requestRateQuery(target, 900), `sum(rate(istio_requests_total{${inbound}}[900s]))`],
    [
      'error rate: 5xx/0 plus gRPC failures, each defaulting to 0, over all requests',
      errorRateQuery(target, 60),
      `((sum(rate(istio_requests_total{${inbound},response_code=~"5[0-9]{2}|0"}[60s])) or vector(0))` +
        ` + (sum(rate(istio_requests_total{${inbound},response_code="200",grpc_response_status=~"[1-9]|1[0-6]"}[60s])) or vector(0)))` +
        ` / sum(rate(istio_requests_total{${inbound}}[60s]))`,
    ],
    [
      'p99 latency over all response codes',
      latencyQuantileQuery(target, 120),
      `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${inbound}}[120s])))`,
    ],
    [
      'p50 latency',
      latencyQuantileQuery(target, 60, 0.5),
      `histogram_quantile(0.5, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${inbound}}[60s])))`,
    ],
    [
      'edges into a namespace',
      edgeTrafficQuery('destination', 'bookinfo', 300),
      'sum by (source_canonical_service, source_workload_namespace, destination_service_name, destination_service_namespace, response_code, grpc_response_status) ' +
        '(rate(istio_requests_total{reporter="destination",destination_service_namespace="bookinfo"}[300s]))',
    ],
    [
      'edges out of a namespace',
      edgeTrafficQuery('source', 'bookinfo', 300),
      'sum by (source_canonical_service, source_workload_namespace, destination_service_name, destination_service_namespace, response_code, grpc_response_status) ' +
        '(rate(istio_requests_total{reporter="destination",source_workload_namespace="bookinfo"}[300s]))',
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('does not join the error parts with `or` (only defaults a missing part to 0)', () => {
    const query = errorRateQuery(target, 60);
    expect(query.match(/ or /g)).toHaveLength(2);
    expect(query.match(/ or vector\(0\)/g)).toHaveLength(2);
  });

  it.each([
    ['plain', 'payments', 'payments'],
    ['quote', 'a"b', 'a\\"b'],
    ['backslash', 'a\\b', 'a\\\\b'],
    ['backslash before quote', '\\"', '\\\\\\"'],
    ['newline', 'a\nb', 'a\\nb'],
    ['selector breakout attempt', 'x"} or vector(1) or {a="', 'x\\"} or vector(1) or {a=\\"'],
  ])('escapes label values: %s', (_name, raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  it('keeps a hostile value inside its quoted string', () => {
    const built = selector('m', [['destination_service_name', '=', 'x"}) or vector(1) #']]);
    expect(built).toBe('m{destination_service_name="x\\"}) or vector(1) #"}');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses the duration %p', (seconds) => {
    expect(() => duration(seconds)).toThrow(RangeError);
  });

  it.each([0, 1, -0.1, 1.5])('refuses the quantile %p', (quantile) => {
    expect(() => latencyQuantileQuery(target, 60, quantile)).toThrow(RangeError);
  });

  it.each([
    ['200', '', false],
    ['200', undefined, false],
    ['200', '0', false],
    ['404', '', false],
    ['499', '', false],
    ['500', '', true],
    ['503', '', true],
    ['599', '', true],
    ['0', '', true],
    ['200', '2', true],
    ['200', '14', true],
    ['200', '16', true],
    ['200', '17', false],
    ['503', '14', true],
    ['404', '14', false],
    ['5000', '', false],
    [undefined, undefined, false],
  ])('response %p with gRPC status %p failed: %p', (code, grpc, failed) => {
    expect(isFailedResponse(code, grpc)).toBe(failed);
  });
});
