import { encodeKubeconfig } from '../support/kubeconfig-fixtures.js';
import { startService, type RunningService } from '../support/e2e.js';
import { encodeKubeconfigFile, Kube } from '../support/kube.js';

/**
 * The Istio endpoints over HTTP against a real API server (the test bed, or a kind cluster with
 * Istio). Objects are created in a namespace of this run; results are read back straight from
 * Kubernetes where the service writes.
 */
const canarySpec = () => ({
  hosts: ['payment-service'],
  gateways: ['mesh'],
  http: [
    {
      name: 'beta-testers',
      match: [{ headers: { 'x-canary': { exact: 'true' } } }],
      route: [{ destination: { host: 'payment-service', subset: 'canary' } }],
    },
    {
      name: 'primary',
      retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset' },
      timeout: '10s',
      mirror: { host: 'shadow' },
      mirrorPercentage: { value: 5 },
      route: [
        { destination: { host: 'payment-service', subset: 'stable' }, weight: 90, headers: { request: { set: { 'x-route': 'stable' } } } },
        { destination: { host: 'payment-service', subset: 'canary' }, weight: 10 },
      ],
    },
  ],
});

describe('Istio endpoints on a real Kubernetes API server', () => {
  let service: RunningService;
  let kube: Kube;
  let namespace: string;

  beforeAll(async () => {
    service = await startService();
    kube = new Kube(service.env.kubeconfigPath);
    namespace = await kube.createNamespace('e2e-istio');
    await kube.create('networking.istio.io', 'virtualservices', namespace, {
      metadata: { name: 'payment-service', labels: { app: 'payment-service' }, annotations: { 'owner/team': 'payments' } },
      spec: canarySpec(),
    });
    await kube.create('networking.istio.io', 'virtualservices', namespace, {
      metadata: { name: 'checkout' },
      spec: {
        hosts: ['checkout.' + namespace + '.svc.cluster.local'],
        http: [
          {
            route: [
              { destination: { host: 'checkout-v1' }, weight: 50 },
              { destination: { host: 'checkout-v2.' + namespace + '.svc.cluster.local' }, weight: 30 },
              { destination: { host: 'checkout-v3' }, weight: 20 },
            ],
          },
        ],
        tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'database', port: { number: 5432 } } }] }],
      },
    });
    await kube.create('security.istio.io', 'peerauthentications', namespace, { metadata: { name: 'default' }, spec: { mtls: { mode: 'PERMISSIVE' } } });
    await kube.create('security.istio.io', 'peerauthentications', namespace, {
      metadata: { name: 'payment-strict' },
      spec: { selector: { matchLabels: { app: 'payment-service' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
    });
    await kube.create('security.istio.io', 'peerauthentications', namespace, { metadata: { name: 'inherit' }, spec: { selector: { matchLabels: { app: 'x' } } } });
    await kube.create('security.istio.io', 'authorizationpolicies', namespace, {
      metadata: { name: 'allow-frontend' },
      spec: { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/frontend/sa/frontend'] } }], to: [{ operation: { methods: ['GET', 'POST'] } }] }] },
    });
    await kube.create('security.istio.io', 'authorizationpolicies', namespace, {
      metadata: { name: 'ext-authz' },
      spec: { action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] },
    });
    await kube.create('security.istio.io', 'authorizationpolicies', namespace, { metadata: { name: 'no-action' }, spec: { selector: { matchLabels: { app: 'x' } }, rules: [{}] } });
  });

  afterAll(async () => {
    await kube?.deleteNamespace(namespace);
    await service?.close();
  });

  it('GET /status detects Istio from the served API groups', async () => {
    const { status, body } = await service.request('/api/v1/istio/status');
    expect(status).toBe(200);
    expect(body.installed).toBe(true);
    expect(body.apiGroups.map((group: { group: string }) => group.group)).toEqual(['networking.istio.io', 'security.istio.io']);
    expect(body.apiGroups[0]).toMatchObject({ preferredVersion: 'v1', servedVersions: expect.arrayContaining(['v1', 'v1beta1']) });
    if (service.env.testbed) {
      // The test bed seeds istiod 1.28.1 (ready) and a 1-29-0 canary revision (not ready).
      expect(body.version).toBe('1.28.1');
      expect(body.revisions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ revision: 'default', version: '1.28.1', ready: true }),
          expect.objectContaining({ revision: '1-29-0', version: '1.29.0', ready: false }),
        ]),
      );
    }
  });

  it('GET /virtual-services lists the namespace in the spec shape', async () => {
    const { status, body } = await service.request(`/api/v1/istio/virtual-services?namespace=${namespace}`);
    expect(status).toBe(200);
    expect(body.map((item: { name: string }) => item.name)).toEqual(['checkout', 'payment-service']);
    const payment = body[1];
    expect(payment).toMatchObject({
      name: 'payment-service',
      namespace,
      hosts: ['payment-service'],
      gateways: ['mesh'],
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
    });
    expect(payment.resourceVersion).toMatch(/^\d+$/);
    expect(new Date(payment.createdAt).getTime()).toBeGreaterThan(Date.now() - 3_600_000);
    expect(body[0].tcp).toEqual([{ match: [{ port: 5432 }], route: [{ destination: { host: 'database', port: { number: 5432 } }, weight: 100 }] }]);
  });

  it('GET /virtual-services/:namespace/:name returns one, 404 for a missing one, 400 for a bad name', async () => {
    expect((await service.request(`/api/v1/istio/virtual-services/${namespace}/checkout`)).body.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([50, 30, 20]);
    const missing = await service.request(`/api/v1/istio/virtual-services/${namespace}/ghost`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    expect((await service.request(`/api/v1/istio/virtual-services/${namespace}/Bad_Name`)).status).toBe(400);
  });

  it('GET /virtual-services answers 400 without a namespace and 401 without a token', async () => {
    expect((await service.request('/api/v1/istio/virtual-services')).status).toBe(400);
    const unauthenticated = await service.request(`/api/v1/istio/virtual-services?namespace=${namespace}`, { token: null });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.code).toBe('UNAUTHORIZED');
  });

  it('PATCH weights changes only the weights of the matching route (read back from Kubernetes)', async () => {
    const before = await kube.getVirtualService(namespace, 'payment-service');
    const { status, body } = await service.request(`/api/v1/istio/virtual-services/${namespace}/payment-service/weights`, {
      method: 'PATCH',
      json: { weights: [{ destination: 'stable', weight: 75 }, { destination: 'canary', weight: 25 }] },
    });
    expect(status).toBe(200);
    expect(body.http[1].route.map((r: { weight: number }) => r.weight)).toEqual([75, 25]);
    const after = await kube.getVirtualService(namespace, 'payment-service');
    expect(body.resourceVersion).toBe(after.metadata.resourceVersion);
    expect(after.spec.http[1].route.map((r: { weight: number }) => r.weight)).toEqual([75, 25]);
    // Everything else is identical: put the old weights back and compare the whole spec and metadata.
    after.spec.http[1].route[0].weight = 90;
    after.spec.http[1].route[1].weight = 10;
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    expect(after.spec.http[0]).toEqual(canarySpec().http[0]);
  });

  it('PATCH weights matches FQDN and short hosts across a three-way split', async () => {
    const { status } = await service.request(`/api/v1/istio/virtual-services/${namespace}/checkout/weights`, {
      method: 'PATCH',
      json: {
        weights: [
          { destination: `checkout-v1.${namespace}.svc.cluster.local`, weight: 34 },
          { destination: 'checkout-v2', weight: 33 },
          { destination: 'checkout-v3', weight: 33 },
        ],
      },
    });
    expect(status).toBe(200);
    const stored = await kube.getVirtualService(namespace, 'checkout');
    expect(stored.spec.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([34, 33, 33]);
    expect(stored.spec.tcp[0].route[0].weight).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['a sum of 99', { weights: [{ destination: 'stable', weight: 89 }, { destination: 'canary', weight: 10 }] }, 'INVALID_WEIGHTS'],
    ['an unknown destination', { weights: [{ destination: 'blue', weight: 90 }, { destination: 'canary', weight: 10 }] }, 'UNKNOWN_DESTINATION'],
    ['a float', { weights: [{ destination: 'stable', weight: 89.5 }, { destination: 'canary', weight: 10.5 }] }, 'VALIDATION_FAILED'],
  ])('PATCH weights with %s answers 400 and leaves the object untouched', async (_name, json, code) => {
    const before = await kube.getVirtualService(namespace, 'payment-service');
    const { status, body } = await service.request(`/api/v1/istio/virtual-services/${namespace}/payment-service/weights`, { method: 'PATCH', json });
    expect(status).toBe(400);
    expect(body.code).toBe(code);
    expect((await kube.getVirtualService(namespace, 'payment-service')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('PATCH weights without the admin role answers 403; for a missing object 404', async () => {
    const json = { weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 50 }] };
    const viewer = await service.request(`/api/v1/istio/virtual-services/${namespace}/payment-service/weights`, { method: 'PATCH', json, token: service.token(['viewer']) });
    expect(viewer.status).toBe(403);
    expect((await service.request(`/api/v1/istio/virtual-services/${namespace}/ghost/weights`, { method: 'PATCH', json })).status).toBe(404);
  });

  it('a concurrent edit of another field is not lost', async () => {
    const sets = [
      [60, 40],
      [30, 70],
      [55, 45],
      [20, 80],
    ];
    const patches = Array.from({ length: 12 }, (_, i) =>
      service.request(`/api/v1/istio/virtual-services/${namespace}/payment-service/weights`, {
        method: 'PATCH',
        json: { weights: [{ destination: 'stable', weight: sets[i % sets.length]![0] }, { destination: 'canary', weight: sets[i % sets.length]![1] }] },
      }),
    );
    const edits = Array.from({ length: 12 }, (_, i) => kube.mergePatchVirtualService(namespace, 'payment-service', { metadata: { labels: { [`edit-${i}`]: 'kept' } } }));
    const [responses] = await Promise.all([Promise.all(patches), Promise.all(edits)]);
    for (const response of responses) expect([200, 409]).toContain(response.status);
    expect(responses.some((response) => response.status === 200)).toBe(true);
    const final = await kube.getVirtualService(namespace, 'payment-service');
    for (let i = 0; i < 12; i++) expect(final.metadata.labels[`edit-${i}`]).toBe('kept');
    expect(sets).toContainEqual(final.spec.http[1].route.map((r: { weight: number }) => r.weight));
    expect(final.spec.http[0]).toEqual(canarySpec().http[0]);
  });

  it('GET /peer-authentications maps modes, selectors and port-level modes', async () => {
    const { status, body } = await service.request(`/api/v1/istio/peer-authentications?namespace=${namespace}`);
    expect(status).toBe(200);
    expect(body).toEqual([
      { name: 'default', namespace, mtlsMode: 'PERMISSIVE', createdAt: expect.any(String) },
      { name: 'inherit', namespace, mtlsMode: 'UNSET', createdAt: expect.any(String), selector: { app: 'x' } },
      { name: 'payment-strict', namespace, mtlsMode: 'STRICT', createdAt: expect.any(String), selector: { app: 'payment-service' }, portLevelMtls: { '8080': 'DISABLE' } },
    ]);
  });

  it('GET /authorization-policies maps actions, rules and providers', async () => {
    const { status, body } = await service.request(`/api/v1/istio/authorization-policies?namespace=${namespace}`);
    expect(status).toBe(200);
    expect(body).toEqual([
      {
        name: 'allow-frontend',
        namespace,
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/frontend/sa/frontend'] } }], to: [{ operation: { methods: ['GET', 'POST'] } }] }],
        createdAt: expect.any(String),
      },
      { name: 'ext-authz', namespace, action: 'CUSTOM', rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }], createdAt: expect.any(String), provider: { name: 'ext-authz' } },
      { name: 'no-action', namespace, action: 'ALLOW', rules: [{}], createdAt: expect.any(String), selector: { app: 'x' } },
    ]);
  });

  describe('kubeconfig overrides', () => {
    it('refuses an exec kubeconfig with 400 naming the field', async () => {
      const hostile = encodeKubeconfig({ user: { exec: { command: 'sh', args: ['-c', 'touch /tmp/istio-api-e2e-pwned'] } } });
      const { status, body } = await service.request(`/api/v1/istio/virtual-services?namespace=${namespace}`, { headers: { 'x-kubeconfig': hostile } });
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'KUBECONFIG_FIELD_REFUSED', message: expect.stringContaining('users[0].user.exec') });
    });

    it('works with a passive kubeconfig of the same cluster (test bed admin)', async () => {
      if (!service.env.testbed) return console.warn('skipped: needs the test bed kubeconfig (token + CA data)');
      const override = encodeKubeconfigFile(service.env.kubeconfigPath);
      const { status, body } = await service.request(`/api/v1/istio/virtual-services?namespace=${namespace}`, { headers: { 'x-kubeconfig': override } });
      expect(status).toBe(200);
      expect(body).toHaveLength(2);
    });

    it('a restricted user reads where RBAC allows and gets 403 where it does not', async () => {
      if (!service.env.restrictedKubeconfig) return console.warn('skipped: needs the test bed restricted user');
      const restricted = encodeKubeconfigFile(service.env.restrictedKubeconfig);
      const allowed = await service.request('/api/v1/istio/virtual-services?namespace=payments', { headers: { 'x-kubeconfig': restricted } });
      expect(allowed.status).toBe(200);
      expect(allowed.body.map((vs: { name: string }) => vs.name)).toContain('payment-service');
      for (const path of ['/api/v1/istio/virtual-services?namespace=bookinfo', '/api/v1/istio/peer-authentications?namespace=payments']) {
        const denied = await service.request(path, { headers: { 'x-kubeconfig': restricted } });
        expect(denied.status).toBe(403);
        expect(denied.body).toMatchObject({ code: 'KUBERNETES_FORBIDDEN', message: expect.stringContaining('supplied kubeconfig') });
        expect(JSON.stringify(denied.body)).not.toMatch(/Bearer|token|forbidden: User/);
      }
      const write = await service.request('/api/v1/istio/virtual-services/payments/payment-service/weights', {
        method: 'PATCH',
        headers: { 'x-kubeconfig': restricted },
        json: { weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 50 }] },
      });
      expect(write.status).toBe(403);
      expect(write.body.code).toBe('KUBERNETES_FORBIDDEN');
    });

    it('a kubeconfig with a wrong token answers 400 KUBECONFIG_CREDENTIALS_REJECTED', async () => {
      if (!service.env.testbed) return console.warn('skipped: needs the test bed');
      const text = Buffer.from(encodeKubeconfigFile(service.env.kubeconfigPath), 'base64').toString().replace(/token: .*/, 'token: wrong-token');
      const { status, body } = await service.request(`/api/v1/istio/virtual-services?namespace=${namespace}`, { headers: { 'x-kubeconfig': Buffer.from(text).toString('base64') } });
      expect(status).toBe(400);
      expect(body.code).toBe('KUBECONFIG_CREDENTIALS_REJECTED');
    });
  });
});
