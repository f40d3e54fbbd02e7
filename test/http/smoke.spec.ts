import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ClusterClientFactory } from '../../src/kubernetes/cluster-client.factory.js';
import { VIRTUAL_SERVICES } from '../../src/kubernetes/kubernetes.types.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { writeDefaultKubeconfig } from '../support/fake-kubeconfig.js';
import { adminToken, buildTestApp, testConfig } from '../support/test-app.js';

describe('smoke', () => {
  let app: NestFastifyApplication;
  const cluster = new FakeCluster();
  beforeAll(async () => {
    cluster.put(VIRTUAL_SERVICES, { metadata: { name: 'a', namespace: 'payments' }, spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }] }] } });
    app = await buildTestApp(testConfig({ KUBECONFIG_PATH: writeDefaultKubeconfig() }), (b) =>
      b.overrideProvider(ClusterClientFactory).useValue({ create: () => cluster.asClient() }),
    );
  });
  afterAll(() => app.close());

  it('lists', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/istio/virtual-services?namespace=payments', headers: { authorization: `Bearer ${adminToken()}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()[0].http[0].route[0].weight).toBe(100);
  });
});
