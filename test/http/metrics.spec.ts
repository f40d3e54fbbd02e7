import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrometheusClient } from '../../src/prometheus/prometheus.client.js';
import { errorRateQuery, latencyQuantileQuery, requestRateQuery } from '../../src/prometheus/promql.js';
import { FakePrometheus, matrix, prometheusError, vector } from '../support/fake-prometheus.js';
import { buildTestApp, testConfig, viewerToken } from '../support/test-app.js';

const auth = { authorization: `Bearer ${viewerToken()}` };
const target = { service: 'payment-service', namespace: 'payments' };
const SECRET_DETAIL = 'SECRET-UPSTREAM-DETAIL /var/lib/prometheus';

function appFor(prometheus: FakePrometheus | undefined, env: Record<string, string> = {}) {
  return buildTestApp(testConfig({ RATE_LIMIT_PER_MINUTE: '0', ...(prometheus ? { PROMETHEUS_URL: prometheus.url } : {}), ...env }));
}

describe('metrics endpoints (Prometheus faked over HTTP)', () => {
  let prometheus: FakePrometheus;
  let app: NestFastifyApplication;
  const get = (url: string, headers: Record<string, string> = auth) => app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    prometheus = await FakePrometheus.start();
    // No cache: each test sees its own upstream calls (single flight is tested separately).
    app = await appFor(prometheus, { PROMETHEUS_CACHE_TTL_MS: '0' });
  });
  afterAll(async () => {
    await app.close();
    await prometheus.close();
  });
  beforeEach(() => prometheus.reset());

  it.each([
    ['rps', 'requests/s', requestRateQuery(target, 60)],
    ['error-rate', 'ratio', errorRateQuery(target, 60)],
    ['latency', 'ms', latencyQuantileQuery(target, 60, 0.99)],
  ])('%s: POSTs the PromQL as a form and answers the documented shape', async (metric, unit, query) => {
    prometheus.reply = () => ({ json: matrix({ values: [[1_700_000_000, '12.4'], [1_700_000_030, '13.1']] }) });
    const before = Math.floor(Date.now() / 1000);
    const res = await get(`/api/v1/istio/metrics/${metric}?service=payment-service&namespace=payments`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      metric,
      service: 'payment-service',
      namespace: 'payments',
      unit,
      range: '1h',
      step: 30,
      window: 60,
      start: body.end - 119 * 30,
      end: expect.any(Number),
      timeseries: [
        { timestamp: 1_700_000_000, value: 12.4 },
        { timestamp: 1_700_000_030, value: 13.1 },
      ],
    });
    expect(body.end % 30).toBe(0);
    expect(before - body.end).toBeLessThan(31);

    const [request] = prometheus.queries();
    expect(prometheus.queries()).toHaveLength(1);
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/api/v1/query_range');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(request!.form)).toEqual({ query, start: String(body.start), end: String(body.end), step: '30' });
  });

  it.each([
    ['30m', 15, 60],
    ['24h', 900, 900],
    ['7d', 7200, 7200],
    ['30d', 21_600, 21_600],
  ])('range %s: step %is, window %is', async (range, step, window) => {
    const res = await get(`/api/v1/istio/metrics/rps?service=payment-service&namespace=payments&range=${range}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ range, step, window, timeseries: [] });
    expect(prometheus.queries()[0]!.form.get('step')).toBe(String(step));
    expect(prometheus.queries()[0]!.form.get('query')).toContain(`[${window}s]`);
  });

  it('drops NaN and infinite points and returns numbers only', async () => {
    prometheus.reply = () => ({
      json: matrix({
        values: [
          [1_700_000_000, '0.05'],
          [1_700_000_030, 'NaN'],
          [1_700_000_060, '+Inf'],
          [1_700_000_090, '-Inf'],
          [1_700_000_120, '0'],
        ],
      }),
    });
    const res = await get('/api/v1/istio/metrics/error-rate?service=payment-service&namespace=payments');
    expect(res.statusCode).toBe(200);
    expect(res.json().timeseries).toEqual([
      { timestamp: 1_700_000_000, value: 0.05 },
      { timestamp: 1_700_000_120, value: 0 },
    ]);
    expect(res.body).not.toMatch(/NaN|Inf|"0\.05"/);
  });

  it('a service without data: 200 with an empty timeseries', async () => {
    const res = await get('/api/v1/istio/metrics/latency?service=ghost&namespace=payments');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ metric: 'latency', service: 'ghost', timeseries: [] });
  });

  it.each([
    ['no service', 'namespace=payments', 'service is required'],
    ['no namespace', 'service=payment-service', 'namespace is required'],
    ['service not a DNS-1123 label', 'service=Payment_Service&namespace=payments', 'service must be a DNS-1123 label'],
    ['service with a PromQL breakout', `service=${encodeURIComponent('a"}or vector(1)#')}&namespace=payments`, 'service must be a DNS-1123 label'],
    ['namespace too long', `service=a&namespace=${'n'.repeat(64)}`, 'namespace must be a DNS-1123 label'],
    ['malformed range', 'service=a&namespace=payments&range=1hour', 'range must be a duration'],
    ['range with two units', 'service=a&namespace=payments&range=1h30m', 'range must be a duration'],
    ['zero range', 'service=a&namespace=payments&range=0m', 'range must be greater than zero'],
    ['range too short', 'service=a&namespace=payments&range=30s', 'range must be at least 1m'],
    ['range beyond the maximum', 'service=a&namespace=payments&range=31d', 'range must be at most 30d'],
    ['empty range', 'service=a&namespace=payments&range=', 'range must be a duration'],
    ['repeated service', 'service=a&service=b&namespace=payments', 'service'],
    ['unknown parameter', 'service=a&namespace=payments&step=1s', 'property step should not exist'],
    ['kubeconfig (metrics read Prometheus only)', 'service=a&namespace=payments&kubeconfig=abc', 'property kubeconfig should not exist'],
  ])('400 for %s, before any query', async (_name, query, message) => {
    const res = await get(`/api/v1/istio/metrics/rps?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.json().message).toContain(message);
    expect(prometheus.queries()).toHaveLength(0);
  });

  it('401 without a token', async () => {
    const res = await get('/api/v1/istio/metrics/rps?service=a&namespace=payments', {});
    expect(res.statusCode).toBe(401);
    expect(prometheus.queries()).toHaveLength(0);
  });

  it.each([
    ['bad_data (400)', { status: 400, json: prometheusError('bad_data', SECRET_DETAIL) }, 502, 'PROMETHEUS_ERROR', { errorType: 'bad_data' }],
    ['execution (422)', { status: 422, json: prometheusError('execution', SECRET_DETAIL) }, 502, 'PROMETHEUS_ERROR', { errorType: 'execution' }],
    ['query timeout (503)', { status: 503, json: prometheusError('timeout', SECRET_DETAIL) }, 503, 'PROMETHEUS_UNAVAILABLE', undefined],
    ['proxy 502 page', { status: 502, text: `<html>${SECRET_DETAIL}</html>` }, 503, 'PROMETHEUS_UNAVAILABLE', undefined],
    ['401 from an auth proxy', { status: 401, text: SECRET_DETAIL }, 502, 'PROMETHEUS_ERROR', undefined],
    ['404: not a Prometheus', { status: 404, text: SECRET_DETAIL }, 502, 'PROMETHEUS_ERROR', undefined],
    ['200 with HTML', { status: 200, text: `<html>${SECRET_DETAIL}</html>` }, 502, 'PROMETHEUS_ERROR', undefined],
    ['a vector where a matrix belongs', { json: vector({ metric: {}, value: '1' }) }, 502, 'PROMETHEUS_ERROR', undefined],
  ] as const)('Prometheus %s -> %i %s, without the upstream body', async (_name, reply, status, code, details) => {
    prometheus.reply = () => reply;
    const res = await get('/api/v1/istio/metrics/rps?service=payment-service&namespace=payments');
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
    expect(res.json().details).toEqual(details);
    expect(res.body).not.toContain('SECRET-UPSTREAM-DETAIL');
    expect(res.body).not.toContain('/var/lib');
  });

  it('does not cache failures', async () => {
    prometheus.reply = () => ({ status: 503, json: prometheusError('unavailable', 'down') });
    expect((await get('/api/v1/istio/metrics/rps?service=a&namespace=payments')).statusCode).toBe(503);
    prometheus.reply = () => ({ json: matrix({ values: [[1, '1']] }) });
    expect((await get('/api/v1/istio/metrics/rps?service=a&namespace=payments')).statusCode).toBe(200);
  });
});

describe('Prometheus client behaviour through the metrics endpoints', () => {
  let prometheus: FakePrometheus;
  const apps: NestFastifyApplication[] = [];
  const url = '/api/v1/istio/metrics/rps?service=payment-service&namespace=payments&range=30d';
  const start = async (env: Record<string, string> = {}, fake: FakePrometheus | null = prometheus) => {
    const app = await appFor(fake ?? undefined, env);
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    prometheus = await FakePrometheus.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => prometheus.close());
  beforeEach(() => prometheus.reset());

  it('100 concurrent identical requests -> 1 upstream query, and all get the answer', async () => {
    const app = await start({ PROMETHEUS_CACHE_TTL_MS: '0' });
    prometheus.reply = () => ({ json: matrix({ values: [[1_700_000_000, '12']] }), delayMs: 200 });
    // range=30d: step 6h, so all requests fall into the same aligned window.
    const responses = await Promise.all(Array.from({ length: 100 }, () => app.inject({ method: 'GET', url, headers: auth })));
    expect(responses.map((res) => res.statusCode)).toEqual(Array(100).fill(200));
    expect(new Set(responses.map((res) => JSON.stringify(res.json().timeseries)))).toEqual(new Set(['[{"timestamp":1700000000,"value":12}]']));
    expect(prometheus.queries()).toHaveLength(1);
  });

  it('different queries are not merged', async () => {
    const app = await start({ PROMETHEUS_CACHE_TTL_MS: '0' });
    prometheus.reply = () => ({ json: matrix(), delayMs: 100 });
    await Promise.all(
      ['rps', 'error-rate', 'latency'].flatMap((metric) =>
        ['a', 'b'].map((service) => app.inject({ method: 'GET', url: `/api/v1/istio/metrics/${metric}?service=${service}&namespace=payments&range=30d`, headers: auth })),
      ),
    );
    expect(prometheus.queries()).toHaveLength(6);
  });

  it('answers built once per cached result still name what each caller asked for, and never outlive the result', async () => {
    const cached = await start({ PROMETHEUS_CACHE_TTL_MS: '60000' });
    prometheus.reply = () => ({ json: matrix({ values: [[1_700_000_000, '12']] }) });
    const asked = async (app: NestFastifyApplication, range: string) => (await app.inject({ method: 'GET', url: url.replace('range=30d', `range=${range}`), headers: auth })).json();
    const first = await asked(cached, '30d');
    expect(await asked(cached, '30d')).toEqual(first);
    // Same query, step and span (so one cached result), another spelling of the range.
    const hours = await asked(cached, '720h');
    expect(prometheus.queries()).toHaveLength(1);
    expect([first.range, hours.range]).toEqual(['30d', '720h']);
    expect(hours.timeseries).toEqual(first.timeseries);

    const uncached = await start({ PROMETHEUS_CACHE_TTL_MS: '0' });
    expect((await asked(uncached, '30d')).timeseries).toEqual([{ timestamp: 1_700_000_000, value: 12 }]);
    prometheus.reply = () => ({ json: matrix({ values: [[1_700_000_000, '13']] }) });
    expect((await asked(uncached, '30d')).timeseries).toEqual([{ timestamp: 1_700_000_000, value: 13 }]);
  });

  it('answers carry an ETag: If-None-Match gives 304 without a body until Prometheus answers differently', async () => {
    const app = await start({ PROMETHEUS_CACHE_TTL_MS: '0' });
    prometheus.reply = () => ({ json: matrix({ values: [[1_700_000_000, '12']] }) });
    const first = await app.inject({ method: 'GET', url, headers: auth });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const unchanged = await app.inject({ method: 'GET', url, headers: { ...auth, 'if-none-match': etag } });
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.body).toBe('');
    expect(unchanged.headers.etag).toBe(etag);
    prometheus.reply = () => ({ json: matrix({ values: [[1_700_000_000, '13']] }) });
    const changed = await app.inject({ method: 'GET', url, headers: { ...auth, 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().timeseries).toEqual([{ timestamp: 1_700_000_000, value: 13 }]);
    expect(changed.headers.etag).not.toBe(etag);
    // Errors never carry one.
    prometheus.reply = () => ({ status: 503, json: { status: 'error', errorType: 'unavailable', error: 'down' } });
    const failed = await app.inject({ method: 'GET', url, headers: { ...auth, 'if-none-match': etag } });
    expect(failed.statusCode).toBe(503);
    expect(failed.headers.etag).toBeUndefined();
  });

  it('reuses a result for PROMETHEUS_CACHE_TTL_MS; with 0 only concurrent requests share', async () => {
    const cached = await start({ PROMETHEUS_CACHE_TTL_MS: '60000' });
    await cached.inject({ method: 'GET', url, headers: auth });
    await cached.inject({ method: 'GET', url, headers: auth });
    expect(prometheus.queries()).toHaveLength(1);

    prometheus.reset();
    const uncached = await start({ PROMETHEUS_CACHE_TTL_MS: '0' });
    await uncached.inject({ method: 'GET', url, headers: auth });
    await uncached.inject({ method: 'GET', url, headers: auth });
    expect(prometheus.queries()).toHaveLength(2);
  });

  it('sends the bearer token and extra headers (e.g. a Mimir tenant)', async () => {
    const app = await start({ PROMETHEUS_BEARER_TOKEN: 'prom-token', PROMETHEUS_HEADERS: '{"X-Scope-OrgID":"team-a"}' });
    await app.inject({ method: 'GET', url, headers: auth });
    const [request] = prometheus.queries();
    expect(request!.headers.authorization).toBe('Bearer prom-token');
    expect(request!.headers['x-scope-orgid']).toBe('team-a');
  });

  it('sends basic auth', async () => {
    const app = await start({ PROMETHEUS_USERNAME: 'reader', PROMETHEUS_PASSWORD: 's3cret' });
    await app.inject({ method: 'GET', url, headers: auth });
    expect(prometheus.queries()[0]!.headers.authorization).toBe(`Basic ${Buffer.from('reader:s3cret').toString('base64')}`);
  });

  it('sends no credentials when none are configured', async () => {
    const app = await start();
    await app.inject({ method: 'GET', url, headers: auth });
    expect(prometheus.queries()[0]!.headers.authorization).toBeUndefined();
  });

  it('a Prometheus that never answers: 503 after PROMETHEUS_TIMEOUT_MS', async () => {
    const app = await start({ PROMETHEUS_TIMEOUT_MS: '300' });
    prometheus.reply = () => 'hang';
    const began = Date.now();
    const res = await app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'PROMETHEUS_UNAVAILABLE', message: 'Prometheus did not answer within 300 ms' });
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
    expect(Date.now() - began).toBeLessThan(3000);
  });

  it('an unreachable Prometheus: 503', async () => {
    const closed = await FakePrometheus.start();
    await closed.close();
    const app = await buildTestApp(testConfig({ PROMETHEUS_URL: closed.url }));
    apps.push(app);
    const res = await app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'PROMETHEUS_UNAVAILABLE', message: 'Prometheus is unreachable' });
  });

  it('without PROMETHEUS_URL: 503 PROMETHEUS_NOT_CONFIGURED', async () => {
    const app = await start({}, null);
    const res = await app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('PROMETHEUS_NOT_CONFIGURED');
  });

  it('keeps a path prefix of PROMETHEUS_URL (Thanos/Mimir frontends)', async () => {
    const app = await buildTestApp(testConfig({ PROMETHEUS_URL: `${prometheus.url}/prometheus/` }));
    apps.push(app);
    await app.inject({ method: 'GET', url, headers: auth });
    expect(prometheus.requests[0]!.path).toBe('/prometheus/api/v1/query_range');
  });

  it('an answer beyond the size bound: 502, not buffered without limit', async () => {
    const app = await start();
    prometheus.reply = () => ({ status: 200, text: 'x'.repeat(17 * 1024 * 1024) });
    const res = await app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'PROMETHEUS_ERROR', message: 'Prometheus returned an unexpected response' });
  });

  it('isReachable(): true when Prometheus answers, false when it fails, hangs or is not configured (never throws)', async () => {
    const client = (await start({ PROMETHEUS_TIMEOUT_MS: '200' })).get(PrometheusClient);
    prometheus.reply = () => ({ json: vector({ metric: {}, value: '1' }) });
    expect(await client.isReachable()).toBe(true);
    expect(prometheus.queries()[0]!.form.get('query')).toBe('vector(1)');
    prometheus.reply = () => ({ status: 503, text: 'down' });
    expect(await client.isReachable()).toBe(false);
    prometheus.reply = () => 'hang';
    expect(await client.isReachable()).toBe(false);
    expect(await (await start({}, null)).get(PrometheusClient).isReachable()).toBe(false);
  });
});
