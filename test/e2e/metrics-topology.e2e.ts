import { readFileSync } from 'node:fs';
import type { TopologyEdge as Edge } from '../../src/topology/edges.js';
import { startService, type RunningService } from '../support/e2e.js';

/**
 * Metrics and topology against the real test bed: Prometheus holding the backfilled telemetry of
 * testbed/telemetry-fixture.json, and the API server holding testbed/manifests/demo-mesh.yaml.
 *
 * Tolerances: the backfill has constant rates, so rps and error rates are exact up to float
 * rounding; asserted within 0.1 % relative (1e-9 absolute for zero). P99 comes from
 * histogram_quantile's linear interpolation, which the fixture computes the same way: 1 % relative.
 * Telemetry values are asserted only when TESTBED_TELEMETRY_FIXTURE says what was seeded.
 */
const testbed = process.env.TESTBED === '1';
const fixturePath = process.env.TESTBED_TELEMETRY_FIXTURE;
const describeOnTestbed = testbed ? describe : describe.skip;
const describeWithFixture = testbed && fixturePath ? describe : describe.skip;

const RATE_TOLERANCE = 1e-3;
const LATENCY_TOLERANCE = 1e-2;

interface FixtureService {
  service: string;
  namespace: string;
  rps: number;
  errorRate: number;
  p99Ms: number;
}
interface FixtureEdge {
  source: string;
  sourceNamespace: string;
  destination: string;
  destinationNamespace: string;
  rps: number;
}
interface Fixture {
  services: FixtureService[];
  edges: FixtureEdge[];
}

function fixture(): Fixture {
  return JSON.parse(readFileSync(fixturePath!, 'utf8')) as Fixture;
}

function expectClose(actual: number, expected: number, relative: number): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(1e-9, relative * Math.abs(expected)));
}

const brief = (edge: Edge) => [edge.source, edge.destination, edge.weight, edge.subset ?? '-', edge.route].join(' ');

describeOnTestbed('topology on the seeded mesh', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service?.close());

  it('bookinfo: edges from VirtualService routes; the wildcard gateway VirtualService adds none', async () => {
    const { status, body } = await service.request('/api/v1/istio/topology?namespace=bookinfo');
    expect(status).toBe(200);
    expect((body as Edge[]).map(brief)).toEqual([
      'details details 100 v1 http[0]',
      'productpage productpage 100 v1 http[0]',
      'ratings ratings 100 v1 http[0]',
      'reviews reviews 50 v1 reviews-split',
      'reviews reviews 30 v2 reviews-split',
      'reviews reviews 20 v3 reviews-split',
    ]);
    expect((body as Edge[]).every((edge) => edge.origin === 'config' && edge.sourceNamespace === 'bookinfo' && edge.destinationNamespace === 'bookinfo')).toBe(true);
  });

  it('payments: FQDN hosts shortened, gateway host kept whole, tcp routes included', async () => {
    const { status, body } = await service.request('/api/v1/istio/topology?namespace=payments');
    expect(status).toBe(200);
    expect((body as Edge[]).map(brief)).toEqual([
      'checkout checkout-v1 50 - version-split',
      'checkout checkout-v2 30 - version-split',
      'checkout checkout-v3 20 - version-split',
      'database database 100 - tcp[0]',
      'payment-service payment-service 100 canary beta-testers',
      'payment-service payment-service 90 stable primary',
      'payment-service payment-service 10 canary primary',
      'pay.example.com payment-service 100 - pay-api',
    ]);
    const gateway = (body as Edge[]).find((edge) => edge.source === 'pay.example.com')!;
    expect(gateway.sourceNamespace).toBeUndefined();
    expect(gateway.destinationNamespace).toBe('payments');
  });

  it('frontend: a cross-namespace FQDN destination keeps its namespace', async () => {
    const { body } = await service.request('/api/v1/istio/topology?namespace=frontend');
    expect(body).toEqual([
      { source: 'frontend', destination: 'payment-service', weight: 100, route: 'payments-api', sourceNamespace: 'frontend', destinationNamespace: 'payments', origin: 'config' },
      { source: 'frontend', destination: 'frontend', weight: 100, route: 'default', sourceNamespace: 'frontend', destinationNamespace: 'frontend', origin: 'config' },
    ]);
  });

  it('a namespace without VirtualServices: []; an invalid one: 400', async () => {
    expect(await service.request('/api/v1/istio/topology?namespace=istio-system')).toMatchObject({ status: 200, body: [] });
    expect((await service.request('/api/v1/istio/topology?namespace=Nope_')).status).toBe(400);
  });
});

describeWithFixture('telemetry values seeded in Prometheus (TESTBED_TELEMETRY_FIXTURE)', () => {
  let service: RunningService;
  const seeded = fixturePath ? fixture() : { services: [], edges: [] };

  beforeAll(async () => {
    service = await startService({ PROMETHEUS_CACHE_TTL_MS: '0' });
  });
  afterAll(() => service?.close());

  const metric = (name: string, svc: FixtureService, range = '1h') =>
    service.request(`/api/v1/istio/metrics/${name}?service=${svc.service}&namespace=${svc.namespace}&range=${range}`);

  function expectFullSeries(body: { timeseries: Array<{ timestamp: number; value: number }>; start: number; end: number; step: number }): void {
    // The backfill covers hours around now, so every point of 1h (120 points, 30 s apart) has a value.
    expect(body.timeseries).toHaveLength(120);
    body.timeseries.forEach((point, index) => expect(point.timestamp).toBe(body.start + index * body.step));
    expect(body.timeseries.at(-1)!.timestamp).toBe(body.end);
  }

  // metric, unit, the fixture field it must equal, relative tolerance
  const METRICS = [
    ['rps', 'requests/s', 'rps', RATE_TOLERANCE],
    ['error-rate', 'ratio', 'errorRate', RATE_TOLERANCE],
    ['latency', 'ms', 'p99Ms', LATENCY_TOLERANCE],
  ] as const;
  const cases = seeded.services.flatMap((svc) => METRICS.map(([name, unit, field, tolerance]) => [`${svc.namespace}/${svc.service} ${name}`, svc, name, unit, field, tolerance] as const));

  // An error rate of 0 (ratings, details) must be a value on every point, not a gap.
  it.each(cases)('%s: every point of 1h equals the seeded value', async (_title, svc, name, unit, field, tolerance) => {
    const { status, body } = await metric(name, svc);
    expect(status).toBe(200);
    expect(body).toMatchObject({ metric: name, unit, range: '1h', step: 30, window: 60 });
    expectFullSeries(body);
    for (const point of body.timeseries) expectClose(point.value, svc[field], tolerance);
  });

  it('a longer range uses a coarser step and still returns only numbers', async () => {
    const svc = seeded.services[0]!;
    const { status, body } = await metric('rps', svc, '24h');
    expect(status).toBe(200);
    expect(body).toMatchObject({ step: 900, window: 900 });
    expect(body.timeseries.length).toBeGreaterThan(0);
    expect(body.timeseries.length).toBeLessThanOrEqual(96);
    for (const point of body.timeseries) expect(Number.isFinite(point.value)).toBe(true);
  });

  it('a service without telemetry: 200 with an empty timeseries', async () => {
    for (const name of ['rps', 'error-rate', 'latency']) {
      const { status, body } = await metric(name, { service: 'no-such-service', namespace: 'payments', rps: 0, errorRate: 0, p99Ms: 0 });
      expect(status).toBe(200);
      expect(body.timeseries).toEqual([]);
    }
  });

  it.each(['bookinfo', 'payments', 'frontend'])('%s topology with include=telemetry: observed edges match the fixture', async (namespace) => {
    const { status, body } = await service.request(`/api/v1/istio/topology?namespace=${namespace}&include=telemetry`);
    expect(status).toBe(200);
    const edges = body as Edge[];
    // Fixture edges by canonical service pair (workload edges of one service add up).
    const expected = new Map<string, { rps: number; errorRate: number }>();
    for (const edge of seeded.edges) {
      if (edge.sourceNamespace !== namespace && edge.destinationNamespace !== namespace) continue;
      const key = `${edge.source}.${edge.sourceNamespace}->${edge.destination}.${edge.destinationNamespace}`;
      const errorRate = seeded.services.find((svc) => svc.service === edge.destination && svc.namespace === edge.destinationNamespace)!.errorRate;
      expected.set(key, { rps: (expected.get(key)?.rps ?? 0) + edge.rps, errorRate });
    }
    const observed = edges.filter((edge) => edge.origin !== 'config');
    const actual = new Map<string, Edge>();
    for (const edge of observed) actual.set(`${edge.source}.${edge.sourceNamespace}->${edge.destination}.${edge.destinationNamespace}`, edge);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, values] of expected) {
      expectClose(actual.get(key)!.rps!, values.rps, RATE_TOLERANCE);
      expectClose(actual.get(key)!.errorRate!, values.errorRate, RATE_TOLERANCE);
    }
    // Config edges stay; those with matching traffic are "both".
    expect(edges.filter((edge) => edge.origin !== 'telemetry').length).toBeGreaterThan(0);
    if (namespace === 'frontend') {
      expect(edges.find((edge) => edge.route === 'payments-api')).toMatchObject({ origin: 'both', weight: 100 });
    }
  });
});
