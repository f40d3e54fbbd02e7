// Scenario 6: start-up to listening (the stack already up), idle RSS, and RSS after 200k requests
// compared with RSS after a warm-up (a leak shows as growth). RSS is read from /proc, after a
// short pause so the figures are not taken mid-burst. V8 grows its heap lazily on a machine with
// plenty of memory: in a probe run RSS kept growing for ~40k requests, then stayed flat for 300k
// more while the heap after a full GC stayed at ~73 MB; so the warm-up is 60k requests. Beside RSS,
// a second row gives the live heap after forced full GCs (bench/lib/heap-probe.mjs, preloaded into
// the leak scenario's own service process), which is what a leak would grow.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { autocannonRun } from '../lib/load.mjs';
import { OUT, REPO, startProcess } from '../lib/processes.mjs';
import { absoluteRow, formatNumber, infoRow } from '../lib/report.mjs';

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

/** Live heap in MB after full GCs, from the heap probe preloaded into `service` (SIGUSR2 -> file). */
async function liveHeapMb(service, probeFile) {
  rmSync(probeFile, { force: true });
  process.kill(service.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      if (statSync(probeFile).size > 0) return JSON.parse(readFileSync(probeFile, 'utf8')).heapUsed / 1048576;
    } catch {
      /* not written yet */
    }
  }
  throw new Error('the heap probe did not answer within 5 s');
}

export async function leakScenario(ctx, { total = 200_000, warmup = 60_000 } = {}) {
  const { headers } = ctx;
  const probeFile = join(OUT, 'heap-probe.json');
  // Its own service process (same build, flags and environment) with the heap probe preloaded.
  const service = await startProcess('service-leak', ctx.main, { ...ctx.serviceEnv, HEAP_PROBE_FILE: probeFile }, {
    nodeFlags: ['--expose-gc', '--import', join(REPO, 'bench', 'lib', 'heap-probe.mjs')],
  });
  try {
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
    const warmHeap = await liveHeapMb(service, probeFile);
    const run = await autocannonRun({ url: service.url, headers, requests, connections: ctx.load.connections, amount: total });
    await settle();
    const after = service.rssMb();
    const afterHeap = await liveHeapMb(service, probeFile);
    return [
      absoluteRow({
        id: '6c',
        measure: `RSS after ${total.toLocaleString('en-US')} more requests (5 endpoints, ${Math.round(run.rps)} req/s)`,
        value: after,
        unit: 'MB',
        op: '<=',
        limit: warm * 1.2,
        baseline: `after a ${warmup.toLocaleString('en-US')}-request warm-up: ${formatNumber(warm, 'MB')}`,
        ratio: `${(after / warm).toFixed(2)}x`,
      }),
      infoRow({
        id: '6c*',
        measure: 'live JS heap after forced full GCs (what a leak grows), same run',
        service: formatNumber(afterHeap, 'MB'),
        baseline: `after the warm-up: ${formatNumber(warmHeap, 'MB')}`,
        ratio: `${(afterHeap / warmHeap).toFixed(2)}x`,
      }),
    ];
  } finally {
    await service.stop();
  }
}
