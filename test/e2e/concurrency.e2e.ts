import type { RunningService } from '../support/e2e.js';
import { serviceWithVirtualService, type ServiceWithVirtualService } from '../support/hostile-fixtures.js';
import type { Kube } from '../support/kube.js';

/**
 * 10 clients x 50 weight PATCHes racing on one VirtualService while another client edits labels
 * and annotations through the Kubernetes API (JSON merge patches, applied by the API server to the
 * latest object). Every answer must be 200 or 409, the final weights must be one of the requested
 * sets (the one of the latest successful write), and every concurrent edit must survive.
 */
const CLIENTS = 10;
const PATCHES_PER_CLIENT = 50;

const spec = (): Record<string, any> => ({
  hosts: ['race'],
  gateways: ['mesh'],
  http: [
    { name: 'beta-testers', match: [{ headers: { 'x-canary': { exact: 'true' } } }], route: [{ destination: { host: 'race', subset: 'canary' } }] },
    {
      name: 'primary',
      retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset' },
      timeout: '10s',
      route: [
        { destination: { host: 'race', subset: 'stable' }, weight: 50, headers: { request: { set: { 'x-route': 'stable' } } } },
        { destination: { host: 'race', subset: 'canary' }, weight: 50 },
      ],
    },
  ],
});

interface Outcome {
  client: number;
  set: [number, number];
  status: number;
  resourceVersion?: string;
  code?: string;
}

describe('concurrent weight changes on one VirtualService', () => {
  let fixture: ServiceWithVirtualService;
  let service: RunningService;
  let kube: Kube;
  let namespace: string;

  beforeAll(async () => {
    fixture = await serviceWithVirtualService('e2e-race', 'race', spec());
    ({ service, kube, namespace } = fixture);
  });
  afterAll(() => fixture?.close());

  it(`${CLIENTS} clients x ${PATCHES_PER_CLIENT} PATCHes + a concurrent label/annotation editor: only 200/409, a requested final split, no edit lost`, async () => {
    const path = `/api/v1/istio/virtual-services/${namespace}/race/weights`;
    const outcomes: Outcome[] = [];
    let running = CLIENTS;
    const started = performance.now();

    const client = async (id: number) => {
      try {
        for (let k = 0; k < PATCHES_PER_CLIENT; k++) {
          // Each request asks for its own split, so the final state names the request that made it.
          const stable = (id * PATCHES_PER_CLIENT + k) % 101;
          const set: [number, number] = [stable, 100 - stable];
          const { status, body } = await service.request(path, {
            method: 'PATCH',
            json: { weights: [{ destination: 'stable', weight: set[0] }, { destination: 'canary', weight: set[1] }] },
            signal: AbortSignal.timeout(30_000),
          });
          outcomes.push({ client: id, set, status, resourceVersion: body?.resourceVersion, code: body?.code });
        }
      } finally {
        running--;
      }
    };

    const edits: number[] = [];
    const editor = async () => {
      for (let i = 0; running > 0; i++) {
        await kube.mergePatchVirtualService(namespace, 'race', { metadata: { labels: { [`edit-${i}`]: 'kept' }, annotations: { [`hostile.test/edit-${i}`]: `value-${i}` } } });
        edits.push(i);
      }
    };

    await Promise.all([...Array.from({ length: CLIENTS }, (_, id) => client(id)), editor()]);
    const seconds = (performance.now() - started) / 1000;

    const statuses = outcomes.reduce<Record<string, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
    console.info(
      `concurrency: ${outcomes.length} PATCHes from ${CLIENTS} clients in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(statuses)}; ${edits.length} concurrent merge-patch edits`,
    );

    expect(outcomes).toHaveLength(CLIENTS * PATCHES_PER_CLIENT);
    expect(outcomes.filter(({ status }) => status !== 200 && status !== 409)).toEqual([]);
    for (const { status, code } of outcomes) if (status === 409) expect(code).toBe('CONFLICT');
    const successes = outcomes.filter(({ status }) => status === 200);
    expect(successes.length).toBeGreaterThan(0);
    expect(edits.length).toBeGreaterThan(0);

    const final = await kube.getVirtualService(namespace, 'race');
    const finalSet = final.spec.http[1].route.map((route: { weight: number }) => route.weight);
    // The final split is one that was asked for...
    expect(outcomes.map(({ set }) => set)).toContainEqual(finalSet);
    // ...namely that of the latest successful write (etcd resourceVersions increase).
    const latest = successes.reduce((a, b) => (Number(b.resourceVersion) > Number(a.resourceVersion) ? b : a));
    expect(finalSet).toEqual(latest.set);

    // Every concurrent edit survived, and nothing but the weights changed in the spec.
    for (const i of edits) {
      expect(final.metadata.labels[`edit-${i}`]).toBe('kept');
      expect(final.metadata.annotations[`hostile.test/edit-${i}`]).toBe(`value-${i}`);
    }
    expect(final.metadata.labels.app).toBe('race');
    const expected = spec();
    expected.http[1].route[0].weight = finalSet[0];
    expected.http[1].route[1].weight = finalSet[1];
    expect(final.spec).toEqual(expected);
  });
});
