// Scenario 1: GET /virtual-services for a namespace with 50 VirtualServices.
//  a) throughput vs a bare Fastify server returning the same JSON (the framework's own limit);
//  b) sequential p50 vs a direct list with @kubernetes/client-node (as shipped: a new TLS
//     connection per call) - and, for reference only, over a kept-alive connection;
//  c) a change made through the Kubernetes API is visible through the service within 1 s.
import { writeFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareLatency, compareThroughput, fetchOk, measureLatency } from '../lib/load.mjs';
import { OUT, startProcess } from '../lib/processes.mjs';
import { absoluteRow, formatNumber, infoRow, ratioRow } from '../lib/report.mjs';

/** A direct list over one kept-alive TLS connection (what client-node would cost with connection reuse). */
function keptAliveList(env, namespace) {
  const agent = new Agent({ keepAlive: true, ca: readFileSync(env.TESTBED_CA_FILE) });
  const url = new URL(`/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices`, env.TESTBED_APISERVER_URL);
  return () =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(url, { agent, headers: { authorization: `Bearer ${env.TESTBED_ADMIN_TOKEN}` } }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      });
      req.on('error', reject);
      req.end();
    });
}

export async function listScenario(ctx) {
  const { service, headers, cluster, env } = ctx;
  const namespace = ctx.ns.list;
  const path = `/api/v1/istio/virtual-services?namespace=${namespace}`;
  const serviceList = () => fetchOk(`${service.url}${path}`, { headers });

  // Warm: the first reads start the watch cache; later ones are served from it.
  for (let i = 0; i < 100; i++) await serviceList();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const payload = Buffer.from(await serviceList());
  const items = JSON.parse(payload.toString());
  if (items.length !== 50) throw new Error(`expected 50 VirtualServices in ${namespace}, got ${items.length}`);
  const payloadFile = join(OUT, 'virtual-services-50.json');
  writeFileSync(payloadFile, payload);

  const bare = await startProcess('bare-fastify', 'bench/baseline-fastify.mjs', { PATH: process.env.PATH, BENCH_PAYLOAD: payloadFile });
  let throughput;
  try {
    throughput = await compareThroughput({ url: `${service.url}${path}`, headers }, { url: `${bare.url}${path}` }, ctx.load);
  } finally {
    await bare.stop();
  }

  const latency = await compareLatency(serviceList, () => cluster.listVirtualServices(namespace));
  const keptAlive = await measureLatency(keptAliveList(env, namespace), { durationMs: 1_500 });

  // c) Freshness: change a weight through the Kubernetes API, poll the service until it shows.
  const delays = [];
  for (let i = 0; i < 5; i++) {
    const stable = 60 + i;
    const object = await cluster.getVirtualService(namespace, 'svc-0001');
    object.spec.http[0].route[0].weight = stable;
    object.spec.http[0].route[1].weight = 100 - stable;
    await cluster.replaceVirtualService(object);
    const started = performance.now();
    for (;;) {
      const list = JSON.parse(Buffer.from(await serviceList()).toString());
      if (list.find((item) => item.name === 'svc-0001')?.http[0].route[0].weight === stable) break;
      if (performance.now() - started > 5_000) throw new Error('a change did not show up within 5 s');
    }
    delays.push(performance.now() - started);
  }

  return [
    ratioRow({ id: '1a', measure: 'GET /virtual-services (50 VS): throughput, 16 connections', value: throughput.a, unit: 'req/s', baselineLabel: 'bare Fastify, same JSON', baseline: throughput.b, op: '>=', limit: 0.5 }),
    ratioRow({ id: '1b', measure: 'GET /virtual-services (50 VS): p50, sequential', value: latency.a.p50, unit: 'ms', baselineLabel: 'direct list, client-node', baseline: latency.b.p50, op: '<=', limit: 0.5 }),
    infoRow({
      id: '1b*',
      measure: 'reference: direct list over a kept-alive TLS connection (client-node 2.0.1 opens a new one per call)',
      service: formatNumber(latency.a.p50, 'ms'),
      baseline: `kept-alive direct list: ${formatNumber(keptAlive.p50, 'ms')}`,
      ratio: `${(latency.a.p50 / keptAlive.p50).toFixed(2)}x`,
    }),
    absoluteRow({ id: '1c', measure: 'change via the Kubernetes API visible through the service (worst of 5)', value: Math.max(...delays), unit: 'ms', op: '<=', limit: 1000 }),
  ];
}
