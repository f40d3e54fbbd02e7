import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiError } from '../../src/common/api-error.js';
import { ClusterClientFactory } from '../../src/kubernetes/cluster-client.factory.js';
import { AUTHORIZATION_POLICIES, PEER_AUTHENTICATIONS, VIRTUAL_SERVICES, type ClusterIdentity } from '../../src/kubernetes/kubernetes.types.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { writeDefaultKubeconfig } from '../support/fake-kubeconfig.js';
import { encodeKubeconfig } from '../support/kubeconfig-fixtures.js';
import { adminToken, buildTestApp, testConfig, viewerToken } from '../support/test-app.js';

const BASE = '/api/v1/istio';
const canarySpec = {
  hosts: ['payment-service'],
  http: [
    { name: 'beta-testers', match: [{ headers: { 'x-canary': { exact: 'true' } } }], route: [{ destination: { host: 'payment-service', subset: 'canary' } }] },
    {
      name: 'primary',
      retries: { attempts: 3 },
      route: [
        { destination: { host: 'payment-service', subset: 'stable' }, weight: 90 },
        { destination: { host: 'payment-service', subset: 'canary' }, weight: 10 },
      ],
    },
  ],
  tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db', port: { number: 5432 } } }] }],
};

function seed(cluster: FakeCluster): void {
  cluster.put(VIRTUAL_SERVICES, { metadata: { name: 'payment-service', namespace: 'payments', labels: { app: 'pay' } }, spec: structuredClone(canarySpec) });
  cluster.put(PEER_AUTHENTICATIONS, { metadata: { name: 'default', namespace: 'payments' }, spec: { mtls: { mode: 'STRICT' } } });
  cluster.put(PEER_AUTHENTICATIONS, {
    metadata: { name: 'workload', namespace: 'payments' },
    spec: { selector: { matchLabels: { app: 'payment-service' } }, mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
  });
  cluster.put(PEER_AUTHENTICATIONS, { metadata: { name: 'unset', namespace: 'payments' }, spec: {} });
  cluster.put(AUTHORIZATION_POLICIES, {
    metadata: { name: 'allow-frontend', namespace: 'payments' },
    spec: { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/frontend/sa/frontend'] } }] }] },
  });
  cluster.put(AUTHORIZATION_POLICIES, { metadata: { name: 'ext', namespace: 'payments' }, spec: { action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{}] } });
  cluster.put(AUTHORIZATION_POLICIES, { metadata: { name: 'no-action', namespace: 'payments' }, spec: { selector: { matchLabels: { app: 'x' } } } });
  cluster.deployments = [
    { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/rev': 'default' }, images: ['docker.io/istio/pilot:1.28.1'], replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    { name: 'istiod-canary', namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/rev': '1-29-0' }, images: ['docker.io/istio/pilot:1.29.0-distroless'], replicas: 1, readyReplicas: 0, availableReplicas: 0 },
  ];
}

describe('Istio endpoints over HTTP (fake cluster)', () => {
  let app: NestFastifyApplication;
  let cluster: FakeCluster;
  const created: ClusterIdentity[] = [];

  beforeEach(async () => {
    cluster = new FakeCluster();
    seed(cluster);
    created.length = 0;
    app = await buildTestApp(testConfig({ KUBECONFIG_PATH: writeDefaultKubeconfig(), WEIGHT_UPDATE_MAX_ATTEMPTS: '3' }), (builder) =>
      builder.overrideProvider(ClusterClientFactory).useValue({
        create: (_kubeConfig: unknown, identity: ClusterIdentity) => {
          created.push(identity);
          return cluster.asClient();
        },
      }),
    );
  });
  afterEach(() => app.close());

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: `${BASE}${url}`, headers: { authorization: `Bearer ${viewerToken()}`, ...headers } });
  const patch = (url: string, payload: unknown, token = adminToken(), headers: Record<string, string> = {}) =>
    app.inject({ method: 'PATCH', url: `${BASE}${url}`, payload: payload as object, headers: { authorization: `Bearer ${token}`, ...headers } });
  const storedVs = () => cluster.objects.get('virtualservices/payments/payment-service')!;

  describe('GET /status', () => {
    it('reports installation, version, revisions with readiness and API groups', async () => {
      const response = await get('/status');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        installed: true,
        version: '1.28.1',
        revisions: [
          { revision: '1-29-0', name: 'istiod-canary', namespace: 'istio-system', version: '1.29.0', ready: false, replicas: 1, readyReplicas: 0 },
          { revision: 'default', name: 'istiod', namespace: 'istio-system', version: '1.28.1', ready: true, replicas: 1, readyReplicas: 1 },
        ],
        apiGroups: [
          { group: 'networking.istio.io', preferredVersion: 'v1', servedVersions: ['v1', 'v1beta1', 'v1alpha3'] },
          { group: 'security.istio.io', preferredVersion: 'v1', servedVersions: ['v1', 'v1beta1'] },
        ],
        warnings: [],
      });
    });

    it('says not installed when the Istio API groups are absent', async () => {
      cluster.groups.clear();
      cluster.deployments = [];
      const response = await get('/status');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ installed: false, version: null, revisions: [], apiGroups: [] });
    });

    it('still answers with a warning when RBAC forbids listing Deployments', async () => {
      cluster.failNext('listDeployments', new ApiError('KUBERNETES_FORBIDDEN', 'Kubernetes RBAC does not allow x'));
      const response = await get('/status');
      expect(response.statusCode).toBe(200);
      expect(response.json().warnings).toEqual(['istiod Deployments could not be read: Kubernetes RBAC does not allow x']);
    });

    it('answers 503 when the cluster is unreachable', async () => {
      cluster.failNext('apiGroups', new ApiError('KUBERNETES_UNAVAILABLE', 'The Kubernetes API is unreachable (discover API groups)'));
      const response = await get('/status');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'KUBERNETES_UNAVAILABLE', error: 'Service Unavailable' });
    });
  });

  describe('GET /virtual-services', () => {
    it('lists in the spec shape with route names, matches and tcp routes', async () => {
      const response = await get('/virtual-services?namespace=payments');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual([
        {
          name: 'payment-service',
          namespace: 'payments',
          hosts: ['payment-service'],
          http: [
            { name: 'beta-testers', match: [{ headers: { 'x-canary': { exact: 'true' } } }], route: [{ destination: { host: 'payment-service', subset: 'canary' }, weight: 100 }] },
            {
              name: 'primary',
              route: [
                { destination: { host: 'payment-service', subset: 'stable' }, weight: 90 },
                { destination: { host: 'payment-service', subset: 'canary' }, weight: 10 },
              ],
            },
          ],
          tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db', port: { number: 5432 } }, weight: 100 }] }],
          resourceVersion: expect.any(String),
          createdAt: '2025-01-15T10:00:00Z',
        },
      ]);
    });

    it('answers [] for a namespace without VirtualServices', async () => {
      expect((await get('/virtual-services?namespace=empty')).json()).toEqual([]);
    });

    it.each([
      ['', 'namespace is required, once'],
      ['?namespace=', 'namespace must be a DNS-1123 label'],
      ['?namespace=Payments', 'namespace must be a DNS-1123 label'],
      ['?namespace=pay%7Bments%7D', 'namespace must be a DNS-1123 label'],
      [`?namespace=${'a'.repeat(64)}`, 'namespace must be a DNS-1123 label'],
      ['?namespace=payments&namespace=other', 'namespace is required, once'],
      ['?namespace=payments&extra=1', 'property extra should not exist'],
    ])('answers 400 to %s', async (query, message) => {
      const response = await get(`/virtual-services${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(message) });
      expect(cluster.calls.filter((call) => call.startsWith('list'))).toEqual([]);
    });

    it('answers 404 ISTIO_NOT_INSTALLED when the CRDs are missing', async () => {
      cluster.groups.clear();
      const response = await get('/virtual-services?namespace=payments');
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('ISTIO_NOT_INSTALLED');
    });

    it('answers 403 KUBERNETES_FORBIDDEN when RBAC denies the read', async () => {
      cluster.failNext('list', new ApiError('KUBERNETES_FORBIDDEN', 'Kubernetes RBAC does not allow it'));
      expect((await get('/virtual-services?namespace=payments')).json().code).toBe('KUBERNETES_FORBIDDEN');
    });
  });

  describe('GET /virtual-services/:namespace/:name', () => {
    it('returns one VirtualService', async () => {
      const response = await get('/virtual-services/payments/payment-service');
      expect(response.statusCode).toBe(200);
      expect(response.json().http[1].route[0]).toEqual({ destination: { host: 'payment-service', subset: 'stable' }, weight: 90 });
    });

    it('answers 404 for a missing object', async () => {
      const response = await get('/virtual-services/payments/ghost');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND', statusCode: 404, error: 'Not Found' });
    });

    it.each(['/virtual-services/payments/..%2F..%2Fsecrets', '/virtual-services/Pay/x', `/virtual-services/payments/${'a'.repeat(254)}`, '/virtual-services/payments/a%00b'])(
      'answers 400 to the path %s',
      async (path) => {
        expect((await get(path)).statusCode).toBe(400);
        expect(cluster.calls.filter((call) => call.startsWith('get'))).toEqual([]);
      },
    );
  });

  describe('PATCH /virtual-services/:namespace/:name/weights', () => {
    const body = { weights: [{ destination: 'stable', weight: 80 }, { destination: 'canary', weight: 20 }] };

    it('changes only the weights and returns the updated object', async () => {
      const before = structuredClone(storedVs());
      const response = await patch('/virtual-services/payments/payment-service/weights', body);
      expect(response.statusCode).toBe(200);
      expect(response.json().http[1].route.map((entry: { weight: number }) => entry.weight)).toEqual([80, 20]);
      const after = structuredClone(storedVs()) as unknown as { metadata: { resourceVersion?: string }; spec: { http: Array<{ route: Array<{ weight?: number }> }> } };
      expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
      after.spec.http[1]!.route[0]!.weight = 90;
      after.spec.http[1]!.route[1]!.weight = 10;
      after.metadata.resourceVersion = before.metadata.resourceVersion;
      expect(after).toEqual(before);
    });

    it('re-reads and re-applies after a conflict, keeping the concurrent edit', async () => {
      let edits = 0;
      cluster.beforeReplace = () => {
        if (edits++ > 0) return;
        const current = structuredClone(storedVs());
        (current.metadata.labels ??= {}).edited = 'concurrently';
        cluster.put(VIRTUAL_SERVICES, current);
      };
      const response = await patch('/virtual-services/payments/payment-service/weights', body);
      expect(response.statusCode).toBe(200);
      expect(storedVs().metadata.labels).toEqual({ app: 'pay', edited: 'concurrently' });
      expect(cluster.calls.filter((call) => call.startsWith('replace'))).toHaveLength(2);
    });

    it('answers 409 when the object keeps changing', async () => {
      cluster.beforeReplace = () => {
        cluster.put(VIRTUAL_SERVICES, structuredClone(storedVs()));
      };
      const response = await patch('/virtual-services/payments/payment-service/weights', body);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('3 attempts') });
    });

    it('answers 403 to a caller without the admin role, and changes nothing', async () => {
      const before = structuredClone(storedVs());
      const response = await patch('/virtual-services/payments/payment-service/weights', body, viewerToken());
      expect(response.statusCode).toBe(403);
      expect(storedVs()).toEqual(before);
    });

    it.each<[string, unknown, string]>([
      ['strings', { weights: [{ destination: 'stable', weight: '80' }, { destination: 'canary', weight: 20 }] }, 'weight must be a whole number'],
      ['floats', { weights: [{ destination: 'stable', weight: 80.5 }, { destination: 'canary', weight: 19.5 }] }, 'weight must be a whole number'],
      ['negative', { weights: [{ destination: 'stable', weight: -1 }, { destination: 'canary', weight: 101 }] }, 'weight must be at least 0'],
      ['over 100', { weights: [{ destination: 'stable', weight: 101 }] }, 'weight must be at most 100'],
      ['duplicates', { weights: [{ destination: 'stable', weight: 50 }, { destination: 'stable', weight: 50 }] }, 'listed more than once'],
      ['empty', { weights: [] }, 'weights must name at least one destination'],
      ['sum 99', { weights: [{ destination: 'stable', weight: 89 }, { destination: 'canary', weight: 10 }] }, 'sum to 100, got 99'],
      ['sum 101', { weights: [{ destination: 'stable', weight: 91 }, { destination: 'canary', weight: 10 }] }, 'sum to 100, got 101'],
      ['all zero', { weights: [{ destination: 'stable', weight: 0 }, { destination: 'canary', weight: 0 }] }, 'sum to 100, got 0'],
      ['missing weights', {}, 'weights must be an array'],
      ['an unknown field', { ...{ weights: [{ destination: 'stable', weight: 100 }] }, force: true }, 'property force should not exist'],
      ['an unknown nested field', { weights: [{ destination: 'stable', weight: 90, host: 'x' }, { destination: 'canary', weight: 10 }] }, 'should not exist'],
      // class-transformer drops names the instance has as functions; they were once accepted silently.
      ['a field named like an Object method', { weights: [{ destination: 'stable', weight: 80 }, { destination: 'canary', weight: 20 }], valueOf: 1 }, 'property valueOf should not exist'],
      ['a nested field named constructor', { weights: [{ destination: 'stable', weight: 80, constructor: 'x' }, { destination: 'canary', weight: 20 }] }, 'property constructor should not exist'],
      ['an unknown destination', { weights: [{ destination: 'blue', weight: 90 }, { destination: 'canary', weight: 10 }] }, 'existing destinations: canary, stable'],
      ['a partial set', { weights: [{ destination: 'stable', weight: 100 }] }, 'No HTTP route has exactly the destinations stable'],
    ])('answers 400 to %s and leaves the object unchanged', async (_name, payload, message) => {
      const before = structuredClone(storedVs());
      const response = await patch('/virtual-services/payments/payment-service/weights', payload);
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toContain(message);
      expect(storedVs()).toEqual(before);
      expect(cluster.calls.filter((call) => call.startsWith('replace'))).toEqual([]);
    });

    it('answers 400 to a body that is not JSON', async () => {
      const response = await app.inject({
        method: 'PATCH',
        url: `${BASE}/virtual-services/payments/payment-service/weights`,
        payload: '{"weights": [',
        headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('not valid JSON') });
    });

    it('answers 400 to unknown query parameters and leaves the object unchanged (they were once ignored)', async () => {
      const before = structuredClone(storedVs());
      for (const query of ['dryRun=false', 'route=primary&route=beta-testers', 'toString=1', '__proto__=1', 'constructor=1']) {
        const response = await patch(`/virtual-services/payments/payment-service/weights?${query}`, body);
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('should not exist') });
      }
      expect(storedVs()).toEqual(before);
      // The documented kubeconfig query parameter still works on the PATCH.
      expect((await patch(`/virtual-services/payments/payment-service/weights?kubeconfig=${encodeURIComponent(encodeKubeconfig())}`, body)).statusCode).toBe(200);
    });

    it('answers 400, not 500, to deeply nested JSON (the transformer once overflowed the stack)', async () => {
      const before = structuredClone(storedVs());
      for (const payload of [`{"weights":${'['.repeat(5000)}${']'.repeat(5000)}}`, `{"weights":[],"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`]) {
        const response = await app.inject({
          method: 'PATCH',
          url: `${BASE}/virtual-services/payments/payment-service/weights`,
          payload,
          headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
        });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('nested deeper than') });
      }
      expect(storedVs()).toEqual(before);
    });

    it('answers 404 for a missing VirtualService', async () => {
      expect((await patch('/virtual-services/payments/ghost/weights', body)).statusCode).toBe(404);
    });
  });

  describe('GET /peer-authentications and /authorization-policies', () => {
    it('maps PeerAuthentications (UNSET when absent, selector and port-level modes)', async () => {
      const response = await get('/peer-authentications?namespace=payments');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual([
        { name: 'default', namespace: 'payments', mtlsMode: 'STRICT', createdAt: '2025-01-15T10:00:00Z' },
        { name: 'unset', namespace: 'payments', mtlsMode: 'UNSET', createdAt: '2025-01-15T10:00:00Z' },
        {
          name: 'workload',
          namespace: 'payments',
          mtlsMode: 'PERMISSIVE',
          createdAt: '2025-01-15T10:00:00Z',
          selector: { app: 'payment-service' },
          portLevelMtls: { '8080': 'DISABLE' },
        },
      ]);
    });

    it('maps AuthorizationPolicies (ALLOW when absent, selector, provider)', async () => {
      const response = await get('/authorization-policies?namespace=payments');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual([
        {
          name: 'allow-frontend',
          namespace: 'payments',
          action: 'ALLOW',
          rules: [{ from: [{ source: { principals: ['cluster.local/ns/frontend/sa/frontend'] } }] }],
          createdAt: '2025-01-15T10:00:00Z',
        },
        { name: 'ext', namespace: 'payments', action: 'CUSTOM', rules: [{}], createdAt: '2025-01-15T10:00:00Z', provider: { name: 'ext-authz' } },
        { name: 'no-action', namespace: 'payments', action: 'ALLOW', rules: [], createdAt: '2025-01-15T10:00:00Z', selector: { app: 'x' } },
      ]);
    });

    it.each(['/peer-authentications', '/authorization-policies'])('%s requires a namespace', async (path) => {
      expect((await get(path)).statusCode).toBe(400);
    });
  });

  describe('kubeconfig overrides', () => {
    it('uses a valid override from the X-Kubeconfig header, parsing it once for repeated requests', async () => {
      const override = encodeKubeconfig({ cluster: { server: 'https://10.1.2.3:6443' } });
      for (let i = 0; i < 3; i++) {
        expect((await get('/virtual-services?namespace=payments', { 'x-kubeconfig': override })).statusCode).toBe(200);
      }
      expect(created.filter((identity) => identity.source === 'override')).toEqual([{ server: 'https://10.1.2.3:6443', source: 'override' }]);
    });

    it('accepts the override as a query parameter and a PATCH body field', async () => {
      const override = encodeKubeconfig({ cluster: { server: 'https://10.9.9.9:6443' } });
      expect((await get(`/virtual-services?namespace=payments&kubeconfig=${encodeURIComponent(override)}`)).statusCode).toBe(200);
      const response = await patch('/virtual-services/payments/payment-service/weights', {
        weights: [{ destination: 'stable', weight: 70 }, { destination: 'canary', weight: 30 }],
        kubeconfig: override,
      });
      expect(response.statusCode).toBe(200);
      expect(created.filter((identity) => identity.source === 'override')).toHaveLength(1);
    });

    it('refuses an exec kubeconfig with 400 naming the field, before any cluster call', async () => {
      const override = encodeKubeconfig({ user: { exec: { command: 'sh', args: ['-c', 'id'] } } });
      const response = await get('/virtual-services?namespace=payments', { 'x-kubeconfig': override });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'KUBECONFIG_FIELD_REFUSED', message: expect.stringContaining('users[0].user.exec') });
      expect(cluster.calls).toEqual([]);
    });

    it('refuses two different overrides', async () => {
      const one = encodeKubeconfig({ cluster: { server: 'https://10.0.0.1' } });
      const two = encodeKubeconfig({ cluster: { server: 'https://10.0.0.2' } });
      const response = await get(`/virtual-services?namespace=payments&kubeconfig=${encodeURIComponent(one)}`, { 'x-kubeconfig': two });
      expect(response.statusCode).toBe(400);
    });

    it('answers 400 OVERRIDE_DISABLED when overrides are switched off', async () => {
      const disabled = await buildTestApp(testConfig({ KUBECONFIG_PATH: writeDefaultKubeconfig(), KUBECONFIG_OVERRIDES_ENABLED: 'false' }), (builder) =>
        builder.overrideProvider(ClusterClientFactory).useValue({ create: () => cluster.asClient() }),
      );
      try {
        const response = await disabled.inject({
          method: 'GET',
          url: `${BASE}/virtual-services?namespace=payments`,
          headers: { authorization: `Bearer ${viewerToken()}`, 'x-kubeconfig': encodeKubeconfig() },
        });
        expect(response.statusCode).toBe(400);
        expect(response.json().code).toBe('OVERRIDE_DISABLED');
      } finally {
        await disabled.close();
      }
    });
  });

  it('answers 503 CLUSTER_NOT_CONFIGURED without KUBECONFIG_PATH outside a pod', async () => {
    const bare = await buildTestApp(testConfig({}));
    try {
      const response = await bare.inject({ method: 'GET', url: `${BASE}/virtual-services?namespace=payments`, headers: { authorization: `Bearer ${viewerToken()}` } });
      expect(response.statusCode).toBe(503);
      expect(response.json().code).toBe('CLUSTER_NOT_CONFIGURED');
    } finally {
      await bare.close();
    }
  });

  it('answers unknown routes with the error shape', async () => {
    const response = await get('/nope');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });
});
