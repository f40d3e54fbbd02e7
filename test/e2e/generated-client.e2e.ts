import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// The client is generated from openapi.json in beforeAll (scripts/generate-client.mjs), so it does
// not exist when the repository is type-checked on a fresh checkout: there these two imports are
// `any` (hence @ts-ignore). The generator's own tsc run compiles this file with
// 'generated-istio-api-client' mapped to the generated code, and its guard fails if that mapping
// breaks; so every SDK call and annotation below is checked against the generated types there.
// @ts-ignore -- resolved only by the generator's type-check
import type * as Sdk from 'generated-istio-api-client';
// @ts-ignore -- resolved only by the generator's type-check
import type * as Runtime from 'generated-istio-api-client/client/index.js';
import { loadOpenApiDocument, responseIssues } from '../support/client-conformance.js';
import { startService, type RunningService } from '../support/e2e.js';
import { Kube } from '../support/kube.js';

/**
 * "OpenAPI-generated clients": a TypeScript client generated from the committed OpenAPI document by
 * @hey-api/openapi-ts (fetch client + SDK) calls every operation of the running service on the
 * test bed. Responses are used through the generated types and also checked against the schemas
 * the document declares (no undocumented properties), so a document that drifts from what the
 * service sends fails here. Errors must come back typed as ErrorResponseDto.
 */
const ROOT = process.cwd();
const OUTPUT = resolve(ROOT, 'test-artifacts/generated-client');
// The committed document; OPENAPI_DOCUMENT picks another (e.g. to compare with `git show HEAD:openapi.json`).
const DOCUMENT = resolve(ROOT, process.env.OPENAPI_DOCUMENT ?? 'openapi.json');
const document = loadOpenApiDocument(DOCUMENT);
const testbed = process.env.TESTBED === '1';
const fixturePath = process.env.TESTBED_TELEMETRY_FIXTURE;

/** The fetch client's result (`response` is absent when the request itself failed). */
/** The operations of the Istio API; each has typed tests below. */
const ISTIO_OPERATIONS = ['status', 'listVirtualServices', 'getVirtualService', 'updateWeights', 'listPeerAuthentications', 'listAuthorizationPolicies', 'rps', 'errorRate', 'latency', 'topologyEdges'];

type Result = { data?: unknown; error?: unknown; response?: Response };

/** The data of a successful call (asserting the status); the SDK's types flow through. */
function ok<R extends Result>(result: R, status = 200): NonNullable<R['data']> {
  if (result.error !== undefined || result.response?.status !== status) {
    throw new Error(`expected ${status}, got ${result.response?.status}: ${JSON.stringify(result.error)}`);
  }
  return result.data as NonNullable<R['data']>;
}

/** The typed error of a failed call (asserting the status). */
function failed<R extends Result>(result: R, status: number): NonNullable<R['error']> {
  expect(result.response?.status).toBe(status);
  expect(result.data).toBeUndefined();
  return result.error as NonNullable<R['error']>;
}

/** The body conforms to the schema the document declares for this operation and status. */
function expectConforms(operationId: string, status: number, body: unknown): void {
  expect(responseIssues(document, operationId, status, body)).toEqual([]);
}

const canarySpec = () => ({
  hosts: ['payment-service'],
  http: [
    {
      name: 'beta-testers',
      match: [{ headers: { 'x-canary': { exact: 'true' } } }],
      route: [{ destination: { host: 'payment-service', subset: 'canary' } }],
    },
    {
      name: 'primary',
      route: [
        { destination: { host: 'payment-service', subset: 'stable' }, weight: 90 },
        { destination: { host: 'payment-service', subset: 'canary' }, weight: 10 },
      ],
    },
  ],
  tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'database', port: { number: 5432 } } }] }],
});

describe('a client generated from openapi.json (@hey-api/openapi-ts, fetch) against the running service', () => {
  let service: RunningService;
  let kube: Kube;
  let namespace: string;
  let sdk: typeof Sdk;
  let admin: Runtime.Client;
  let viewer: Runtime.Client;
  let anonymous: Runtime.Client;
  const called = new Set<string>();

  beforeAll(async () => {
    // Generate from the committed document and type-check the generated code together with this file.
    try {
      execFileSync(process.execPath, ['scripts/generate-client.mjs', '--input', DOCUMENT, '--typecheck-with', 'test/e2e/generated-client.e2e.ts'], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        timeout: 150_000,
      });
    } catch (error) {
      throw new Error(`scripts/generate-client.mjs failed:\n${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
    const generated = (await import(resolve(OUTPUT, 'index.ts'))) as typeof Sdk;
    // Record which operations the tests call (the last test checks that every one was).
    sdk = new Proxy(generated, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return (...args: unknown[]) => {
          called.add(property);
          return value(...args);
        };
      },
    });
    const runtime = (await import(resolve(OUTPUT, 'client/index.ts'))) as typeof Runtime;

    service = await startService();
    const clientFor = (token?: string): Runtime.Client => runtime.createClient(runtime.createConfig({ baseUrl: service.baseUrl, auth: token === undefined ? undefined : () => token }));
    admin = clientFor(service.token(['admin'], 'generated-client'));
    viewer = clientFor(service.token(['viewer'], 'generated-client-viewer'));
    anonymous = clientFor();

    kube = new Kube(service.env.kubeconfigPath);
    namespace = await kube.createNamespace('e2e-client');
    await kube.create('networking.istio.io', 'virtualservices', namespace, { metadata: { name: 'payment-service' }, spec: canarySpec() });
    await kube.create('security.istio.io', 'peerauthentications', namespace, {
      metadata: { name: 'payment-strict' },
      spec: { selector: { matchLabels: { app: 'payment-service' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
    });
    await kube.create('security.istio.io', 'authorizationpolicies', namespace, {
      metadata: { name: 'ext-authz' },
      spec: { action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] },
    });
  }, 180_000);

  afterAll(async () => {
    await kube?.deleteNamespace(namespace);
    await service?.close();
  });

  it('the SDK has one function per operationId of the document, and nothing else', () => {
    const operationIds = Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId as string));
    const functions = Object.entries(sdk).filter(([, value]) => typeof value === 'function').map(([name]) => name);
    expect(functions.sort()).toEqual([...operationIds].sort());
    expect(operationIds).toEqual(expect.arrayContaining(ISTIO_OPERATIONS));
  });

  it('status: typed IstioStatusDto', async () => {
    const result = await sdk.status({ client: admin });
    const status: Sdk.IstioStatusDto = ok(result);
    expectConforms('status', 200, status);
    expect(status.installed).toBe(true);
    expect(status.apiGroups.map((group: Sdk.ApiGroupDto) => group.group)).toEqual(['networking.istio.io', 'security.istio.io']);
    if (testbed) {
      expect(status.version).toBe('1.28.1');
      const revisions: Sdk.ControlPlaneRevisionDto[] = status.revisions;
      expect(revisions).toEqual(expect.arrayContaining([expect.objectContaining({ revision: 'default', version: '1.28.1', ready: true })]));
    }
  });

  it('listVirtualServices / getVirtualService: typed VirtualServiceDto', async () => {
    const list: Sdk.VirtualServiceDto[] = ok(await sdk.listVirtualServices({ client: admin, query: { namespace } }));
    expectConforms('listVirtualServices', 200, list);
    expect(list.map((vs: Sdk.VirtualServiceDto) => vs.name)).toEqual(['payment-service']);

    const one: Sdk.VirtualServiceDto = ok(await sdk.getVirtualService({ client: admin, path: { namespace, name: 'payment-service' } }));
    expectConforms('getVirtualService', 200, one);
    expect(one).toMatchObject({ name: 'payment-service', namespace, hosts: ['payment-service'] });
    const primary: Sdk.HttpRouteDto = one.http.find((route: Sdk.HttpRouteDto) => route.name === 'primary')!;
    expect(primary.route.map((destination: Sdk.RouteDestinationDto) => [destination.destination.subset, destination.weight])).toEqual([
      ['stable', 90],
      ['canary', 10],
    ]);
    const tcp: Sdk.L4RouteDto[] = one.tcp!;
    expect(tcp[0]!.route[0]).toEqual({ destination: { host: 'database', port: { number: 5432 } }, weight: 100 });
    expect(one.resourceVersion).toMatch(/^\d+$/);

    if (testbed) {
      // The seeded mesh: payments/payment-service splits its "primary" route between stable and canary
      // (other tests may move the weights; the shape stays).
      const seeded: Sdk.VirtualServiceDto[] = ok(await sdk.listVirtualServices({ client: admin, query: { namespace: 'payments' } }));
      expectConforms('listVirtualServices', 200, seeded);
      const payment = seeded.find((vs: Sdk.VirtualServiceDto) => vs.name === 'payment-service')!;
      const route = payment.http.find((candidate: Sdk.HttpRouteDto) => candidate.name === 'primary')!;
      expect(route.route.map((destination: Sdk.RouteDestinationDto) => destination.destination.subset)).toEqual(['stable', 'canary']);
      expect(route.route.reduce((sum: number, destination: Sdk.RouteDestinationDto) => sum + destination.weight, 0)).toBe(100);
    }
  });

  it('updateWeights: a typed UpdateWeightsDto body; the change reads back through the SDK', async () => {
    const body: Sdk.UpdateWeightsDto = {
      route: 'primary',
      weights: [
        { destination: 'stable', weight: 70 },
        { destination: 'canary', weight: 30 },
      ],
    };
    const updated: Sdk.VirtualServiceDto = ok(await sdk.updateWeights({ client: admin, path: { namespace, name: 'payment-service' }, body }));
    expectConforms('updateWeights', 200, updated);
    const weights = (vs: Sdk.VirtualServiceDto) => vs.http.map((route: Sdk.HttpRouteDto) => route.route.map((destination: Sdk.RouteDestinationDto) => destination.weight));
    expect(weights(updated)).toEqual([[100], [70, 30]]);

    const readBack: Sdk.VirtualServiceDto = ok(await sdk.getVirtualService({ client: admin, path: { namespace, name: 'payment-service' } }));
    expect(weights(readBack)).toEqual([[100], [70, 30]]);
    expect(readBack.resourceVersion).toBe(updated.resourceVersion);
    // And Kubernetes holds it.
    expect((await kube.getVirtualService(namespace, 'payment-service')).spec.http[1].route.map((r: { weight: number }) => r.weight)).toEqual([70, 30]);
  });

  it('listPeerAuthentications: typed PeerAuthenticationDto', async () => {
    const list: Sdk.PeerAuthenticationDto[] = ok(await sdk.listPeerAuthentications({ client: admin, query: { namespace } }));
    expectConforms('listPeerAuthentications', 200, list);
    expect(list).toEqual([{ name: 'payment-strict', namespace, mtlsMode: 'STRICT', createdAt: expect.any(String), selector: { app: 'payment-service' }, portLevelMtls: { '8080': 'DISABLE' } }]);
    if (testbed) expectConforms('listPeerAuthentications', 200, ok(await sdk.listPeerAuthentications({ client: admin, query: { namespace: 'payments' } })));
  });

  it('listAuthorizationPolicies: typed AuthorizationPolicyDto', async () => {
    const list: Sdk.AuthorizationPolicyDto[] = ok(await sdk.listAuthorizationPolicies({ client: admin, query: { namespace } }));
    expectConforms('listAuthorizationPolicies', 200, list);
    const custom: Sdk.AuthorizationPolicyDto = list[0]!;
    const provider: Sdk.ProviderDto | undefined = custom.provider;
    expect(custom).toMatchObject({ name: 'ext-authz', namespace, action: 'CUSTOM', rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] });
    expect(provider).toEqual({ name: 'ext-authz' });
    if (testbed) expectConforms('listAuthorizationPolicies', 200, ok(await sdk.listAuthorizationPolicies({ client: admin, query: { namespace: 'payments' } })));
  });

  it('rps, errorRate, latency: typed MetricsResponseDto', async () => {
    if (!service.env.prometheusUrl) return console.warn('skipped: needs PROMETHEUS_URL');
    const query = { service: 'payment-service', namespace: 'payments', range: '30m' };
    const calls = [
      ['rps', 'rps', 'requests/s', 'rps', await sdk.rps({ client: admin, query })],
      ['errorRate', 'error-rate', 'ratio', 'errorRate', await sdk.errorRate({ client: admin, query })],
      ['latency', 'latency', 'ms', 'p99Ms', await sdk.latency({ client: admin, query })],
    ] as const;
    const seeded = fixturePath ? (JSON.parse(readFileSync(fixturePath, 'utf8')) as { services: Array<Record<string, number | string>> }).services.find((svc) => svc.service === 'payment-service' && svc.namespace === 'payments') : undefined;
    for (const [operationId, metric, unit, field, result] of calls) {
      const body: Sdk.MetricsResponseDto = ok(result);
      expectConforms(operationId, 200, body);
      expect(body).toMatchObject({ metric, unit, service: 'payment-service', namespace: 'payments', range: '30m', step: 15, window: 60 });
      const points: Sdk.MetricPointDto[] = body.timeseries;
      if (seeded) {
        // Test bed: constant seeded rates (see metrics-topology.e2e.ts for the tolerances).
        expect(points.length).toBeGreaterThan(100);
        for (const point of points) expect(Math.abs(point.value - Number(seeded[field]))).toBeLessThanOrEqual(0.01 * Number(seeded[field]));
      }
    }
  });

  it('topologyEdges: typed TopologyEdgeDto, with and without telemetry', async () => {
    const edges: Sdk.TopologyEdgeDto[] = ok(await sdk.topologyEdges({ client: admin, query: { namespace } }));
    expectConforms('topologyEdges', 200, edges);
    expect(edges.map((edge: Sdk.TopologyEdgeDto) => [edge.source, edge.destination, edge.weight, edge.subset ?? '-', edge.route, edge.origin])).toEqual([
      ['payment-service', 'payment-service', 100, 'canary', 'beta-testers', 'config'],
      ['payment-service', 'payment-service', 70, 'stable', 'primary', 'config'],
      ['payment-service', 'payment-service', 30, 'canary', 'primary', 'config'],
      ['payment-service', 'database', 100, '-', 'tcp[0]', 'config'],
    ]);
    if (testbed && service.env.prometheusUrl) {
      const observed: Sdk.TopologyEdgeDto[] = ok(await sdk.topologyEdges({ client: admin, query: { namespace: 'payments', include: 'telemetry' } }));
      expectConforms('topologyEdges', 200, observed);
      expect(observed.some((edge: Sdk.TopologyEdgeDto) => edge.origin !== 'config' && typeof edge.rps === 'number')).toBe(true);
    }
  });

  describe('errors come back typed as ErrorResponseDto', () => {
    it('400: an invalid namespace; weights that do not sum to 100', async () => {
      const invalid: Sdk.ErrorResponseDto = failed(await sdk.listVirtualServices({ client: admin, query: { namespace: 'Not_A_Namespace' } }), 400);
      expectConforms('listVirtualServices', 400, invalid);
      expect(invalid).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: expect.stringContaining('namespace') });

      const body: Sdk.UpdateWeightsDto = { weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 49 }] };
      const weights: Sdk.ErrorResponseDto = failed(await sdk.updateWeights({ client: admin, path: { namespace, name: 'payment-service' }, body }), 400);
      expectConforms('updateWeights', 400, weights);
      expect(weights).toMatchObject({ statusCode: 400, code: 'INVALID_WEIGHTS', requestId: expect.any(String) });
    });

    it('401: no bearer token', async () => {
      const result = await sdk.status({ client: anonymous });
      const error: Sdk.ErrorResponseDto = failed(result, 401);
      expectConforms('status', 401, error);
      expect(error).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
      expect(result.request?.headers.get('authorization')).toBeNull();
    });

    it('403: weights without the admin role', async () => {
      const body: Sdk.UpdateWeightsDto = { weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 50 }] };
      const error: Sdk.ErrorResponseDto = failed(await sdk.updateWeights({ client: viewer, path: { namespace, name: 'payment-service' }, body }), 403);
      expectConforms('updateWeights', 403, error);
      expect(error.code).toBe('FORBIDDEN');
    });

    it('404: a VirtualService that does not exist (read and write)', async () => {
      const read: Sdk.ErrorResponseDto = failed(await sdk.getVirtualService({ client: admin, path: { namespace, name: 'ghost' } }), 404);
      expectConforms('getVirtualService', 404, read);
      expect(read).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
      const body: Sdk.UpdateWeightsDto = { weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 50 }] };
      const write: Sdk.ErrorResponseDto = failed(await sdk.updateWeights({ client: admin, path: { namespace, name: 'ghost' }, body }), 404);
      expectConforms('updateWeights', 404, write);
      expect(write.code).toBe('NOT_FOUND');
    });
  });

  it('operations outside the Istio API without required parameters (e.g. health probes) answer a documented status and shape', async () => {
    const problems: Record<string, string[]> = {};
    for (const operation of Object.values(document.paths).flatMap((item) => Object.values(item))) {
      if (ISTIO_OPERATIONS.includes(operation.operationId)) continue;
      // One that needs input gets a typed test of its own (the coverage test below says so).
      if ((operation.parameters ?? []).some((parameter: { required?: boolean }) => parameter.required) || operation.requestBody?.required) continue;
      const call = (sdk as unknown as Record<string, (options: { client: Runtime.Client }) => Promise<Result>>)[operation.operationId]!;
      const result = await call({ client: admin });
      const status = result.response?.status ?? 0;
      const issues = operation.responses[String(status)] ? responseIssues(document, operation.operationId, status, result.data ?? result.error) : [`status ${status} is not documented`];
      if (issues.length) problems[operation.operationId] = issues;
    }
    expect(problems).toEqual({});
  });

  it('every operation of the document was called through the SDK', () => {
    const operationIds = Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId as string));
    expect(operationIds.filter((operationId) => !called.has(operationId))).toEqual([]);
  });
});
