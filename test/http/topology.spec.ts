import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiError } from '../../src/common/api-error.js';
import { ClusterClientFactory } from '../../src/kubernetes/cluster-client.factory.js';
import { VIRTUAL_SERVICES } from '../../src/kubernetes/kubernetes.types.js';
import { edgeTrafficQuery } from '../../src/prometheus/promql.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { writeDefaultKubeconfig } from '../support/fake-kubeconfig.js';
import { FakePrometheus, prometheusError, vector } from '../support/fake-prometheus.js';
import { buildTestApp, testConfig, viewerToken } from '../support/test-app.js';

const auth = { authorization: `Bearer ${viewerToken()}` };

function seed(cluster: FakeCluster): void {
  const put = (name: string, namespace: string, spec: Record<string, unknown>) => cluster.put(VIRTUAL_SERVICES, { metadata: { name, namespace }, spec });
  put('frontend', 'payments', { hosts: ['frontend'], http: [{ route: [{ destination: { host: 'payment-service' } }] }] });
  put('payment-service', 'payments', {
    hosts: ['payment-service'],
    http: [
      {
        name: 'primary',
        route: [
          { destination: { host: 'payment-service', subset: 'stable' }, weight: 90 },
          { destination: { host: 'payment-service', subset: 'canary' }, weight: 10 },
        ],
      },
    ],
    tcp: [{ route: [{ destination: { host: 'database.payments.svc.cluster.local', port: { number: 5432 } } }] }],
  });
  put('public', 'payments', { hosts: ['*'], gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'frontend' } }] }] });
}

const edgeSample = (source: string, sourceNs: string, destination: string, code: string, value: string, grpc = '') => ({
  metric: {
    source_canonical_service: source,
    source_workload_namespace: sourceNs,
    destination_service_name: destination,
    destination_service_namespace: 'payments',
    response_code: code,
    grpc_response_status: grpc,
  },
  value,
});

describe('GET /istio/topology', () => {
  const cluster = new FakeCluster();
  let prometheus: FakePrometheus;
  let app: NestFastifyApplication;
  let withoutPrometheus: NestFastifyApplication;
  const kubeconfig = writeDefaultKubeconfig();
  const fakeCluster = (builder: Parameters<NonNullable<Parameters<typeof buildTestApp>[1]>>[0]) =>
    builder.overrideProvider(ClusterClientFactory).useValue({ create: () => cluster.asClient() });

  beforeAll(async () => {
    seed(cluster);
    prometheus = await FakePrometheus.start();
    app = await buildTestApp(testConfig({ KUBECONFIG_PATH: kubeconfig, PROMETHEUS_URL: prometheus.url, PROMETHEUS_CACHE_TTL_MS: '0', RATE_LIMIT_PER_MINUTE: '0' }), fakeCluster);
    withoutPrometheus = await buildTestApp(testConfig({ KUBECONFIG_PATH: kubeconfig, RATE_LIMIT_PER_MINUTE: '0' }), fakeCluster);
  });
  afterAll(async () => {
    await Promise.all([app.close(), withoutPrometheus.close()]);
    await prometheus.close();
  });
  beforeEach(() => prometheus.reset());

  const get = (url: string, target = app) => target.inject({ method: 'GET', url: `/api/v1/istio/topology${url}`, headers: auth });

  it('derives edges from VirtualService routes (spec shape plus subset, route and namespaces)', async () => {
    const res = await get('?namespace=payments', withoutPrometheus);
    expect(res.statusCode).toBe(200);
    const p = { sourceNamespace: 'payments', destinationNamespace: 'payments', origin: 'config' };
    expect(res.json()).toEqual([
      { source: 'frontend', destination: 'payment-service', weight: 100, route: 'http[0]', ...p },
      { source: 'payment-service', destination: 'payment-service', weight: 90, subset: 'stable', route: 'primary', ...p },
      { source: 'payment-service', destination: 'payment-service', weight: 10, subset: 'canary', route: 'primary', ...p },
      { source: 'payment-service', destination: 'database', weight: 100, route: 'tcp[0]', ...p },
    ]);
    expect(prometheus.queries()).toHaveLength(0);
  });

  it('a namespace without VirtualServices: []', async () => {
    const res = await get('?namespace=empty');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });

  it.each([
    ['missing namespace', '', 'namespace'],
    ['invalid namespace', '?namespace=Pay_Ments', 'namespace must be a DNS-1123 label'],
    ['unknown include', '?namespace=payments&include=everything', 'include must be "telemetry"'],
    ['unknown parameter', '?namespace=payments&range=1h', 'property range should not exist'],
  ])('400 for %s', async (_name, query, message) => {
    const res = await get(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().message).toContain(message);
  });

  it('cluster unreachable: 503', async () => {
    cluster.failNext('list', new ApiError('KUBERNETES_UNAVAILABLE', 'Kubernetes API unreachable'));
    const res = await get('?namespace=payments');
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('KUBERNETES_UNAVAILABLE');
  });

  it('include=telemetry without PROMETHEUS_URL: 503 PROMETHEUS_NOT_CONFIGURED, not a 500', async () => {
    const res = await get('?namespace=payments&include=telemetry', withoutPrometheus);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'PROMETHEUS_NOT_CONFIGURED', message: expect.stringContaining('PROMETHEUS_URL') });
  });

  it('include=telemetry merges observed edges and marks each edge\'s origin', async () => {
    prometheus.reply = (request) =>
      request.form.get('query') === edgeTrafficQuery('destination', 'payments', 300)
        ? {
            json: vector(
              edgeSample('frontend', 'payments', 'payment-service', '200', '7.6'),
              edgeSample('frontend', 'payments', 'payment-service', '503', '0.4'),
              edgeSample('payment-service', 'payments', 'fraud-check', '200', '4.8', '0'),
              edgeSample('payment-service', 'payments', 'fraud-check', '200', '0.2', '14'),
              edgeSample('checkout', 'payments', 'payment-service', '200', 'NaN'),
            ),
          }
        : { json: vector(edgeSample('payment-service', 'payments', 'fraud-check', '200', '4.8', '0'), edgeSample('payment-service', 'payments', 'fraud-check', '200', '0.2', '14')) };
    const res = await get('?namespace=payments&include=telemetry');
    expect(res.statusCode).toBe(200);
    const edges = res.json() as Array<Record<string, unknown>>;
    expect(edges.map(({ source, destination, origin }) => `${source}->${destination} ${origin}`)).toEqual([
      'frontend->payment-service both',
      'payment-service->payment-service config',
      'payment-service->payment-service config',
      'payment-service->database config',
      'payment-service->fraud-check telemetry',
    ]);
    expect(edges[0]).toMatchObject({ weight: 100, rps: 8, errorRate: 0.05 });
    expect(edges[4]).toMatchObject({ weight: 100, rps: 5, errorRate: 0.04 });
    expect(edges[1]).not.toHaveProperty('rps');

    const queries = prometheus.queries();
    expect(queries.map((query) => query.path)).toEqual(['/api/v1/query', '/api/v1/query']);
    expect(queries.map((query) => query.form.get('query')).sort()).toEqual(
      [edgeTrafficQuery('destination', 'payments', 300), edgeTrafficQuery('source', 'payments', 300)].sort(),
    );
    const time = Number(queries[0]!.form.get('time'));
    expect(time % 15).toBe(0);
    expect(Math.abs(Date.now() / 1000 - time)).toBeLessThan(20);
  });

  // Distinct namespaces: the second query of a failed pair may still be in flight when the next case starts.
  it.each([
    ['unreachable', 'payments', { status: 503, json: prometheusError('unavailable', 'x') }, 503, 'PROMETHEUS_UNAVAILABLE'],
    ['rejecting the query', 'orders', { status: 400, json: prometheusError('bad_data', 'SECRET-UPSTREAM') }, 502, 'PROMETHEUS_ERROR'],
  ] as const)('include=telemetry with Prometheus %s', async (_name, namespace, reply, status, code) => {
    prometheus.reply = () => reply;
    const res = await get(`?namespace=${namespace}&include=telemetry`);
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
    expect(res.body).not.toContain('SECRET-UPSTREAM');
  });
});
