// Scenario 2: PATCH .../weights p50 vs a direct read + update through the Kubernetes API
// (client-node). Both alternate between two weight sets so every call writes.
import { compareLatency, fetchOk } from '../lib/load.mjs';
import { ratioRow } from '../lib/report.mjs';

export async function weightsScenario(ctx) {
  const { service, headers, cluster } = ctx;
  const namespace = ctx.ns.list;
  let serviceFlip = 0;
  const servicePatch = () => {
    const stable = serviceFlip++ % 2 === 0 ? 70 : 30;
    return fetchOk(`${service.url}/api/v1/istio/virtual-services/${namespace}/svc-0002/weights`, {
      method: 'PATCH',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ weights: [{ destination: 'stable', weight: stable }, { destination: 'canary', weight: 100 - stable }] }),
    });
  };
  let directFlip = 0;
  const directUpdate = async () => {
    const stable = directFlip++ % 2 === 0 ? 70 : 30;
    const object = await cluster.getVirtualService(namespace, 'svc-0003');
    object.spec.http[0].route[0].weight = stable;
    object.spec.http[0].route[1].weight = 100 - stable;
    return cluster.replaceVirtualService(object);
  };
  const latency = await compareLatency(servicePatch, directUpdate, { rounds: 3, roundMs: 1_500, warmup: 10 });
  return [
    ratioRow({ id: '2', measure: 'PATCH .../weights: p50, sequential', value: latency.a.p50, unit: 'ms', baselineLabel: 'direct get + replace, client-node', baseline: latency.b.p50, op: '<=', limit: 1.5 }),
  ];
}
