// Scenario 4: topology of a namespace with 2,000 VirtualServices, warm: p50 time to the last byte
// seen by a client on loopback (an upper bound of the server time), and the answer compared with
// the edges the service's own rule derives from a direct list of the same objects.
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { fetchOk, measureLatency } from '../lib/load.mjs';
import { absoluteRow } from '../lib/report.mjs';

export async function topologyScenario(ctx) {
  const { service, headers, cluster } = ctx;
  const namespace = ctx.ns.topology;
  const { configEdges } = await import(join(ctx.dist, 'topology/edges.js'));
  const url = `${service.url}/api/v1/istio/topology?namespace=${namespace}`;
  const get = async () => JSON.parse(Buffer.from(await fetchOk(url, { headers })).toString());

  // Warm: wait until the cache has all 2,000 (it is served only once synced; the count must match).
  const deadline = Date.now() + 30_000;
  let edges = await get();
  while (edges.length !== 4_000 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    edges = await get();
  }
  const latency = await measureLatency(() => fetchOk(url, { headers }), { durationMs: 3_000, warmup: 5 });

  const direct = await cluster.listVirtualServices(namespace);
  const expected = configEdges(direct.items);
  const correct = isDeepStrictEqual(await get(), JSON.parse(JSON.stringify(expected)));
  return [
    absoluteRow({ id: '4a', measure: `GET /topology (2,000 VS, ${edges.length} edges), warm: p50 to last byte`, value: latency.p50, unit: 'ms', op: '<=', limit: 100 }),
    { ...absoluteRow({ id: '4b', measure: 'topology equals the edges derived from a direct list', value: correct ? 1 : 0, unit: '', op: '>=', limit: 1 }), service: correct ? 'identical' : 'DIFFERENT', target: 'identical' },
  ];
}
