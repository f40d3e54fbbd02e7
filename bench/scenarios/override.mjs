// Scenario 5: repeated requests with the same kubeconfig override vs the default-cluster path
// without cache. A second service process runs with a ServiceAccount that may read VirtualServices
// in one namespace only, so its watch cache cannot start (no cluster-wide list/watch) and it reads
// directly; the override is the same kubeconfig, so both paths use the same identity and RBAC.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareThroughput, fetchOk } from '../lib/load.mjs';
import { OUT, startProcess } from '../lib/processes.mjs';
import { ratioRow } from '../lib/report.mjs';

export async function overrideScenario(ctx) {
  const { headers, cluster, env } = ctx;
  const namespace = ctx.ns.list;
  const kubeconfig = await cluster.namespaceReaderKubeconfig(namespace, env.TESTBED_APISERVER_URL, env.TESTBED_CA_FILE);
  const file = join(OUT, 'kubeconfig-namespace-reader.yaml');
  writeFileSync(file, kubeconfig, { mode: 0o600 });
  const service = await startProcess('service-namespace-reader', ctx.main, { ...ctx.serviceEnv, KUBECONFIG_PATH: file });
  try {
    const url = `${service.url}/api/v1/istio/virtual-services?namespace=${namespace}`;
    const override = { ...headers, 'x-kubeconfig': Buffer.from(kubeconfig).toString('base64') };
    // Both answer (and the default path has given up on its cache after the cluster-wide list was refused).
    for (let i = 0; i < 20; i++) {
      await fetchOk(url, { headers });
      await fetchOk(url, { headers: override });
    }
    const throughput = await compareThroughput({ url, headers: override }, { url, headers }, ctx.load);
    return [
      ratioRow({ id: '5', measure: 'GET /virtual-services (50 VS) with the same kubeconfig override: throughput', value: throughput.a, unit: 'req/s', baselineLabel: 'default cluster, no cache', baseline: throughput.b, op: '>=', limit: 0.5 }),
    ];
  } finally {
    await service.stop();
  }
}
