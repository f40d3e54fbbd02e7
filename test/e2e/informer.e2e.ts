import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { LIVENESS_WINDOW_MS, startService, type RunningService } from '../support/e2e.js';
import { encodeKubeconfigFile, Kube, testbedCtl } from '../support/kube.js';
import { sleep } from '../support/wait.js';

/**
 * The watch-backed cache of the service's own cluster, against a real API server: changes made
 * through the Kubernetes API (updates, deletes, new namespaces) show up within 1 s; list reads are
 * served from the cache (the API server's own request counters prove it on the test bed), while
 * the weights PATCH and kubeconfig overrides still read from the API server.
 */
const VISIBLE_WITHIN_MS = 1_000;
const KUBE_TIMEOUT_MS = 2_000;

const virtualService = (name: string, stable = 90) => ({
  metadata: { name },
  spec: {
    hosts: [name],
    http: [
      {
        name: 'primary',
        route: [
          { destination: { host: name, subset: 'stable' }, weight: stable },
          { destination: { host: name, subset: 'canary' }, weight: 100 - stable },
        ],
      },
    ],
  },
});

/** Sums kube-apiserver's apiserver_request_total for VirtualService requests of one verb and scope (test bed admin only). */
function apiserverRequests(verb: 'LIST' | 'GET' | 'WATCH', scope: 'namespace' | 'cluster' | 'resource'): Promise<number> {
  const url = new URL('/metrics', process.env.TESTBED_APISERVER_URL);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: readFileSync(process.env.TESTBED_CA_FILE!), headers: { authorization: `Bearer ${process.env.TESTBED_ADMIN_TOKEN}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let total = 0;
        for (const line of text.split('\n')) {
          if (!line.startsWith('apiserver_request_total{')) continue;
          if (line.includes('resource="virtualservices"') && line.includes(`verb="${verb}"`) && line.includes(`scope="${scope}"`)) {
            total += Number(line.slice(line.lastIndexOf(' ') + 1));
          }
        }
        resolve(total);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('watch cache of the default cluster on a real API server', () => {
  let service: RunningService;
  let kube: Kube;
  let namespace: string;
  const extraNamespaces: string[] = [];
  const onTestbed = process.env.TESTBED === '1' && !!process.env.TESTBED_ADMIN_TOKEN;
  const list = (ns = namespace) => service.request(`/api/v1/istio/virtual-services?namespace=${ns}`);
  const weightsOf = (body: { name: string; http: { route: { weight: number }[] }[] }[], name: string) =>
    body.find((item) => item.name === name)?.http[0]?.route.map((route) => route.weight);

  /** Polls the service until `seen` holds; returns how long that took. */
  async function timeUntil(seen: () => Promise<boolean>, limitMs = 5_000): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < limitMs) {
      if (await seen()) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`not seen within ${limitMs} ms`);
  }

  /** Lists until they are served from the cache again (no namespaced LIST reaches the API server). */
  async function untilCached(limitMs: number): Promise<void> {
    await timeUntil(async () => {
      const before = await apiserverRequests('LIST', 'namespace');
      expect((await list()).status).toBe(200);
      return (await apiserverRequests('LIST', 'namespace')) === before;
    }, limitMs);
  }

  beforeAll(async () => {
    service = await startService({ KUBERNETES_TIMEOUT_MS: String(KUBE_TIMEOUT_MS), KUBERNETES_LIVENESS_WINDOW_MS: String(LIVENESS_WINDOW_MS) });
    kube = new Kube(service.env.kubeconfigPath);
    namespace = await kube.createNamespace('e2e-informer');
    await kube.create('networking.istio.io', 'virtualservices', namespace, virtualService('reviews'));
    await kube.create('networking.istio.io', 'virtualservices', namespace, virtualService('ratings'));
    // The first list starts the cache; wait until reads stop reaching the API server as namespaced lists.
    expect((await list()).status).toBe(200);
    if (onTestbed) {
      await untilCached(15_000);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  });

  afterAll(async () => {
    for (const ns of [namespace, ...extraNamespaces]) await kube?.deleteNamespace(ns);
    await service?.close();
  });

  it('list reads are served from the cache: no namespaced LIST reaches the API server', async () => {
    if (!onTestbed) return console.warn('skipped: needs the test bed (reads kube-apiserver metrics)');
    const before = await apiserverRequests('LIST', 'namespace');
    for (let i = 0; i < 20; i++) expect((await list()).status).toBe(200);
    expect(await service.request(`/api/v1/istio/topology?namespace=${namespace}`)).toMatchObject({ status: 200 });
    expect(await apiserverRequests('LIST', 'namespace')).toBe(before);
  });

  it('cached lists carry an entity tag: If-None-Match answers 304 without a body until the namespace changes', async () => {
    const conditional = (etag: string) => service.request(`/api/v1/istio/virtual-services?namespace=${namespace}`, { headers: { 'if-none-match': etag } });
    let etag: string | null = null;
    await timeUntil(async () => Boolean((etag = (await list()).headers.get('etag'))), 15_000);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const unchanged = await conditional(etag!);
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeUndefined();
    expect(unchanged.headers.get('etag')).toBe(etag);
    // Another tag, or none: the full answer.
    expect((await conditional('"not-the-current-one"')).status).toBe(200);

    // A change the answer shows (the hosts); metadata the views leave out would keep the same bytes and tag.
    await kube.mergePatchVirtualService(namespace, 'ratings', { spec: { hosts: ['ratings', 'ratings.example.com'] } });
    await timeUntil(async () => (await conditional(etag!)).status === 200);
    const changed = await list();
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect((await conditional(changed.headers.get('etag')!)).status).toBe(304);
  });

  it('a weight change made through the Kubernetes API shows up within 1 s', async () => {
    await kube.mergePatchVirtualService(namespace, 'reviews', {
      spec: { http: [{ name: 'primary', route: [{ destination: { host: 'reviews', subset: 'stable' }, weight: 35 }, { destination: { host: 'reviews', subset: 'canary' }, weight: 65 }] }] },
    });
    const ms = await timeUntil(async () => JSON.stringify(weightsOf((await list()).body, 'reviews')) === '[35,65]');
    expect(ms).toBeLessThan(VISIBLE_WITHIN_MS);
    // The topology reads the same cache.
    const topology = await service.request(`/api/v1/istio/topology?namespace=${namespace}`);
    expect(topology.body.filter((edge: { source: string }) => edge.source === 'reviews').map((edge: { weight: number }) => edge.weight)).toEqual([35, 65]);
  });

  it('a created and a deleted VirtualService show up within 1 s', async () => {
    await kube.create('networking.istio.io', 'virtualservices', namespace, virtualService('details'));
    expect(await timeUntil(async () => (await list()).body.some((item: { name: string }) => item.name === 'details'))).toBeLessThan(VISIBLE_WITHIN_MS);
    await kube.custom.deleteNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', name: 'ratings' });
    expect(await timeUntil(async () => !(await list()).body.some((item: { name: string }) => item.name === 'ratings'))).toBeLessThan(VISIBLE_WITHIN_MS);
    expect((await list()).body.map((item: { name: string }) => item.name)).toEqual(['details', 'reviews']);
  });

  it('a namespace created after the cache synced is seen within 1 s', async () => {
    const fresh = await kube.createNamespace('e2e-informer-new');
    extraNamespaces.push(fresh);
    expect((await list(fresh)).body).toEqual([]);
    await kube.create('networking.istio.io', 'virtualservices', fresh, virtualService('newcomer', 70));
    expect(await timeUntil(async () => JSON.stringify(weightsOf((await list(fresh)).body, 'newcomer')) === '[70,30]')).toBeLessThan(VISIBLE_WITHIN_MS);
  });

  it('cached PeerAuthentications and AuthorizationPolicies follow changes too', async () => {
    const policies = () => service.request(`/api/v1/istio/peer-authentications?namespace=${namespace}`);
    expect((await policies()).body).toEqual([]);
    await kube.create('security.istio.io', 'peerauthentications', namespace, { metadata: { name: 'default' }, spec: { mtls: { mode: 'STRICT' } } });
    expect(await timeUntil(async () => (await policies()).body[0]?.mtlsMode === 'STRICT')).toBeLessThan(VISIBLE_WITHIN_MS);
    const authz = () => service.request(`/api/v1/istio/authorization-policies?namespace=${namespace}`);
    expect((await authz()).body).toEqual([]);
    await kube.create('security.istio.io', 'authorizationpolicies', namespace, { metadata: { name: 'deny-all' }, spec: { action: 'DENY', rules: [{}] } });
    expect(await timeUntil(async () => (await authz()).body[0]?.action === 'DENY')).toBeLessThan(VISIBLE_WITHIN_MS);
  });

  it('the weights PATCH reads the object from the API server, right after an outside change', async () => {
    const getsBefore = onTestbed ? await apiserverRequests('GET', 'resource') : 0;
    // An outside edit immediately followed by a PATCH: the PATCH must build on the edited object.
    await kube.mergePatchVirtualService(namespace, 'reviews', { metadata: { labels: { edited: 'outside' } } });
    const { status, body } = await service.request(`/api/v1/istio/virtual-services/${namespace}/reviews/weights`, {
      method: 'PATCH',
      json: { weights: [{ destination: 'stable', weight: 55 }, { destination: 'canary', weight: 45 }] },
    });
    expect(status).toBe(200);
    const stored = await kube.getVirtualService(namespace, 'reviews');
    expect(stored.metadata.labels.edited).toBe('outside');
    expect(stored.spec.http[0].route.map((route: { weight: number }) => route.weight)).toEqual([55, 45]);
    expect(body.resourceVersion).toBe(stored.metadata.resourceVersion);
    if (onTestbed) expect(await apiserverRequests('GET', 'resource')).toBeGreaterThan(getsBefore);
    expect(await timeUntil(async () => JSON.stringify(weightsOf((await list()).body, 'reviews')) === '[55,45]')).toBeLessThan(VISIBLE_WITHIN_MS);
  });

  it('kubeconfig overrides are never served from the cache', async () => {
    if (!onTestbed) return console.warn('skipped: needs the test bed (its kubeconfig and metrics)');
    const override = encodeKubeconfigFile(service.env.kubeconfigPath);
    const before = await apiserverRequests('LIST', 'namespace');
    for (let i = 0; i < 3; i++) {
      const { status } = await service.request(`/api/v1/istio/virtual-services?namespace=${namespace}`, { headers: { 'x-kubeconfig': override } });
      expect(status).toBe(200);
    }
    expect(await apiserverRequests('LIST', 'namespace')).toBe(before + 3);
  });

  it('a frozen API server (SIGSTOP) gets 503 after the timeout even while the cache is synced, once the liveness window has passed', async () => {
    if (!onTestbed) return console.warn('skipped: needs the test bed (freezes its kube-apiserver)');
    await untilCached(15_000);
    const pid = Number(readFileSync(join(process.env.TESTBED_DIR!, 'run', 'apiserver.pid'), 'utf8').trim());
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(LIVENESS_WINDOW_MS + 50);
      const started = performance.now();
      const frozen = await list();
      const ms = performance.now() - started;
      expect(frozen.status).toBe(503);
      expect(frozen.body.message).toContain(`did not answer within ${KUBE_TIMEOUT_MS} ms`);
      expect(ms).toBeGreaterThanOrEqual(KUBE_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(KUBE_TIMEOUT_MS + 1_500);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await untilCached(30_000);
  });

  it('resumes after an API server restart (relist or resume, with backoff) without restarting the service', async () => {
    if (!onTestbed) return console.warn('skipped: needs the test bed (stops and starts its kube-apiserver)');
    testbedCtl('stop', 'apiserver');
    try {
      const down = await list();
      expect(down.status).toBe(503);
      expect(down.body.code).toBe('KUBERNETES_UNAVAILABLE');
    } finally {
      testbedCtl('start', 'apiserver');
    }
    // Direct reads first, then the cache again once the watch is back.
    await timeUntil(async () => (await list()).status === 200, 30_000);
    await untilCached(60_000);
    await kube.mergePatchVirtualService(namespace, 'details', { metadata: { labels: { after: 'restart' } } });
    await kube.create('networking.istio.io', 'virtualservices', namespace, virtualService('after-restart', 80));
    expect(await timeUntil(async () => JSON.stringify(weightsOf((await list()).body, 'after-restart')) === '[80,20]')).toBeLessThan(VISIBLE_WITHIN_MS);
  });
});
