// Scenario 6: start-up to listening (the stack already up), idle RSS, and RSS after 200k requests
// compared with RSS after a warm-up (a leak shows as growth). RSS is read from /proc, after a
// short pause so the figures are not taken mid-burst. V8 grows its heap lazily on a machine with
// plenty of memory, so the warm-up is long enough (20k requests) for the heap to reach its working
// size; the live JS heap from the service's own /metrics (when it has one) is shown beside RSS.
import { autocannonRun } from '../lib/load.mjs';
import { startProcess } from '../lib/processes.mjs';
import { absoluteRow, formatNumber } from '../lib/report.mjs';

const settle = () => new Promise((resolve) => setTimeout(resolve, 2_000));

/** Starts the service three times; the last one stays up for the other scenarios. */
export async function startServiceMeasured(ctx) {
  const startups = [];
  let service;
  for (let i = 0; i < 3; i++) {
    if (service) await service.stop();
    service = await startProcess('service', ctx.main, ctx.serviceEnv);
    startups.push(service.startupMs);
  }
  await settle();
  const idleRss = service.rssMb();
  const median = [...startups].sort((a, b) => a - b)[1];
  const rows = [
    absoluteRow({ id: '6a', measure: `start-up to listening, median of 3 (${startups.map((ms) => Math.round(ms)).join(', ')} ms)`, value: median / 1000, unit: 's', op: '<=', limit: 1.5 }),
    absoluteRow({ id: '6b', measure: 'idle RSS after start-up', value: idleRss, unit: 'MB', op: '<=', limit: 150 }),
  ];
  return { service, rows };
}

/** Live JS heap in MB from the service's /metrics (prom-client default metrics), if it serves them. */
async function heapUsedMb(service) {
  try {
    const response = await fetch(`${service.url}/metrics`);
    if (!response.ok) return undefined;
    const line = (await response.text()).split('\n').find((entry) => /^\w*nodejs_heap_size_used_bytes /.test(entry));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) / 1048576 : undefined;
  } catch {
    return undefined;
  }
}

const withHeap = (rss, heap) => (heap === undefined ? formatNumber(rss, 'MB') : `${formatNumber(rss, 'MB')} (live JS heap ${formatNumber(heap, 'MB')})`);

export async function leakScenario(ctx, { total = 200_000, warmup = 20_000 } = {}) {
  const { service, headers } = ctx;
  const requests = [
    { method: 'GET', path: `/api/v1/istio/virtual-services?namespace=${ctx.ns.list}` },
    { method: 'GET', path: '/api/v1/istio/topology?namespace=payments' },
    { method: 'GET', path: '/api/v1/istio/metrics/rps?service=payment-service&namespace=payments&range=1h' },
    { method: 'GET', path: '/api/v1/istio/peer-authentications?namespace=payments' },
    { method: 'GET', path: `/api/v1/istio/virtual-services/${ctx.ns.list}/svc-0004` },
  ];
  await autocannonRun({ url: service.url, headers, requests, connections: ctx.load.connections, amount: warmup });
  await settle();
  const warm = service.rssMb();
  const warmHeap = await heapUsedMb(service);
  const run = await autocannonRun({ url: service.url, headers, requests, connections: ctx.load.connections, amount: total });
  await settle();
  const after = service.rssMb();
  const afterHeap = await heapUsedMb(service);
  const row = absoluteRow({
    id: '6c',
    measure: `RSS after ${total.toLocaleString('en-US')} more requests (5 endpoints, ${Math.round(run.rps)} req/s)`,
    value: after,
    unit: 'MB',
    op: '<=',
    limit: warm * 1.2,
    baseline: `after ${warmup.toLocaleString('en-US')}-request warm-up: ${withHeap(warm, warmHeap)}`,
    ratio: `${(after / warm).toFixed(2)}x`,
  });
  return [{ ...row, service: withHeap(after, afterHeap) }];
}
