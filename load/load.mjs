#!/usr/bin/env node
// Mixed-traffic load against a running service with one injected kube-apiserver outage; writes
// load/RESULTS.md. Started by load/run.sh (which provides LOAD_BASE_URL, LOAD_SERVICE_PID and the
// test bed's env); see load/README.md for the knobs and the pass criteria.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Largest value (Math.max(...list) overflows the stack beyond ~100k arguments: a fast run has more responses). */
const maxOf = (list) => list.reduce((max, value) => (value > max ? value : max), -Infinity);
const env = process.env;
const baseUrl = required('LOAD_BASE_URL');
const pid = Number(required('LOAD_SERVICE_PID'));
const secret = required('JWT_SECRET');
const seconds = Number(env.LOAD_SECONDS ?? 60);
const connections = Number(env.LOAD_CONNECTIONS ?? 8);
const patchRate = Number(env.LOAD_PATCH_RATE ?? 2);
const faultSeconds = Number(env.LOAD_FAULT_SECONDS ?? 5);
const withFault = env.LOAD_FAULT !== '0';
/** 503s this long after the API server is ready again still count as injected (the service's watch re-lists). */
const recoveryGraceMs = Number(env.LOAD_RECOVERY_GRACE_MS ?? 5_000);
/** When the fault starts, as a share of the run (ctl.sh stop can take ~10 s: the API server drains first). */
const faultAt = Number(env.LOAD_FAULT_AT ?? 0.35);
/**
 * Leak check: the live heap (V8 heap used right after a full collection, forced through the
 * inspector) after the run may exceed the one after the warm-up by at most this much. RSS is
 * reported, with a ceiling only: without memory pressure V8 collects lazily and sizes its heap to
 * the allocation rate (new space alone grows to 128 MB under load), so RSS and "heap used" rise
 * without any leak.
 */
const maxHeapGrowthMb = Number(env.LOAD_MAX_HEAP_GROWTH_MB ?? 20);
const maxRssMb = Number(env.LOAD_MAX_RSS_MB ?? 1024);
const inspectPort = env.LOAD_INSPECT_PORT;
const startRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const warmupSeconds = Number(env.LOAD_WARMUP_SECONDS ?? 5);
const resultsPath = env.LOAD_RESULTS ?? new URL('./RESULTS.md', import.meta.url);

function required(name) {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set (run load/run.sh)`);
  return value;
}

function token() {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'load-test', roles: ['admin'], iat: now, exp: now + seconds + 3600 })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const ROUTES = [
  ['VS list', '/api/v1/istio/virtual-services?namespace=payments'],
  ['VS list', '/api/v1/istio/virtual-services?namespace=bookinfo'],
  ['VS get', '/api/v1/istio/virtual-services/payments/payment-service'],
  ['VS get', '/api/v1/istio/virtual-services/bookinfo/reviews'],
  ['PA list', '/api/v1/istio/peer-authentications?namespace=payments'],
  ['AP list', '/api/v1/istio/authorization-policies?namespace=payments'],
  ['status', '/api/v1/istio/status'],
  ['metrics', '/api/v1/istio/metrics/rps?service=payment-service&namespace=payments&range=30m'],
  ['metrics', '/api/v1/istio/metrics/error-rate?service=checkout&namespace=payments&range=1h'],
  ['metrics', '/api/v1/istio/metrics/latency?service=reviews&namespace=bookinfo&range=6h'],
  ['topology', '/api/v1/istio/topology?namespace=bookinfo'],
  ['topology+telemetry', '/api/v1/istio/topology?namespace=payments&include=telemetry'],
];
const PATCH_PATH = '/api/v1/istio/virtual-services/payments/payment-service/weights';
const SPLITS = [
  [80, 20],
  [90, 10],
];

/** Times are ms since the measured run started (after the warm-up). */
let t0 = performance.now();
const at = () => performance.now() - t0;
/** [ms since start, kind, status, latency ms] for every response. */
const responses = [];
const errors = { GET: 0, PATCH: 0 };
const codes = new Map();

function track(kind) {
  return (status, body, context) => {
    const latency = performance.now() - context.sentAt;
    responses.push([at(), kind, status, latency]);
    if (status >= 400) {
      let code = '?';
      try {
        code = JSON.parse(body).code;
      } catch {
        /* not JSON */
      }
      const key = `${kind} ${status} ${code}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
  };
}
const stamp = (request, context) => {
  context.sentAt = performance.now();
  return request;
};

// --- process samples: RSS and CPU of the service (from /proc), every second ---
const ticks = 100; // USER_HZ on Linux
function processSample() {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / ticks;
  return { t: at(), rssMb: rssKb / 1024, cpuSeconds };
}

/** The service's live heap in MB: a full collection through the inspector (--inspect), then the heap in use. */
async function connectInspector() {
  if (!inspectPort) return undefined;
  const [target] = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  };
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    async liveHeapMb() {
      await call('HeapProfiler.collectGarbage');
      const { result } = await call('Runtime.getHeapUsage');
      return result.usedSize / 1_048_576;
    },
    close: () => socket.close(),
  };
}
const inspector = await connectInspector();

const authorization = `Bearer ${token()}`;
// Warm-up (not measured): JIT, watch caches and connection pools reach their working state.
await autocannon({ url: baseUrl, connections, duration: warmupSeconds, headers: { authorization }, requests: ROUTES.map(([, path]) => ({ method: 'GET', path })) });
const liveBefore = await inspector?.liveHeapMb();
t0 = performance.now();
const samples = [processSample()];
const idleBefore = samples[0];
const sampler = setInterval(() => samples.push(processSample()), 1_000);

// --- the fault: kube-apiserver stopped and started in the middle of the run ---
const fault = {};
function ctl(action) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['testbed/ctl.sh', action, 'apiserver'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ctl.sh ${action} apiserver exited with ${code}`))));
  });
}
async function injectFault() {
  await new Promise((resolve) => setTimeout(resolve, seconds * faultAt * 1000));
  fault.stopInvoked = at();
  await ctl('stop');
  fault.stopped = at();
  await new Promise((resolve) => setTimeout(resolve, faultSeconds * 1000));
  fault.startInvoked = at();
  await ctl('start');
  fault.ready = at();
}

const gets = autocannon({
  url: baseUrl,
  connections,
  duration: seconds,
  timeout: 15,
  headers: { authorization },
  requests: ROUTES.map(([, path]) => ({ method: 'GET', path, setupRequest: stamp, onResponse: track('GET') })),
});
let split = 0;
const patches = autocannon({
  url: baseUrl,
  connections: 1,
  overallRate: patchRate,
  duration: seconds,
  timeout: 15,
  headers: { authorization, 'content-type': 'application/json' },
  requests: [
    {
      method: 'PATCH',
      path: PATCH_PATH,
      setupRequest: (request, context) => {
        const [stable, canary] = SPLITS[split++ % SPLITS.length];
        return stamp({ ...request, body: JSON.stringify({ weights: [{ destination: 'stable', weight: stable }, { destination: 'canary', weight: canary }], route: 'primary' }) }, context);
      },
      onResponse: track('PATCH'),
    },
  ],
});
gets.on('reqError', () => errors.GET++);
patches.on('reqError', () => errors.PATCH++);

const faultRun = withFault ? injectFault() : Promise.resolve();
const [getResult, patchResult] = await Promise.all([gets, patches]);
await faultRun.catch((error) => {
  fault.error = String(error);
});
const loadEnd = at();
clearInterval(sampler);
samples.push(processSample());
const underLoad = samples.slice();
const liveAfter = await inspector?.liveHeapMb();
await new Promise((resolve) => setTimeout(resolve, 5_000));
const idleAfter = processSample();
inspector?.close();

// --- evaluation ---
const faultFrom = fault.stopInvoked ?? Infinity;
const faultTo = fault.ready !== undefined ? fault.ready + recoveryGraceMs : Infinity;
const inFault = (t) => t >= faultFrom && t <= faultTo;
const count = (list) => list.reduce((counts, [, , status]) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const latencyRow = (label, list) => {
  const values = list.map(([, , , latency]) => latency);
  return `| ${label} | ${list.length} | ${[50, 90, 99, 99.9].map((p) => percentile(values, p).toFixed(1)).join(' | ')} | ${maxOf(values).toFixed(1)} |`;
};
const getResponses = responses.filter(([, kind]) => kind === 'GET');
const patchResponses = responses.filter(([, kind]) => kind === 'PATCH');
const outsideFault = responses.filter(([t]) => !inFault(t));
const beforeFaultEnd = Math.min(faultFrom, seconds * 1000);
const beforeFault = responses.filter(([t]) => t < beforeFaultEnd);
const injected = responses.filter(([t, , status]) => status === 503 && inFault(t));
const unexpected5xx = responses.filter(([t, , status]) => status >= 500 && !(status === 503 && inFault(t)));
const other4xx = responses.filter(([, , status]) => status >= 400 && status < 500);
const trafficEnd = responses.length ? maxOf(responses.map(([t]) => t)) : loadEnd;
const faultOverlap = Math.max(0, Math.min(faultTo, trafficEnd) - Math.min(faultFrom, trafficEnd));
const lastInjected = injected.length ? maxOf(injected.map(([t]) => t)) : undefined;

const rss = underLoad.map(({ rssMb }) => rssMb);
const heapGrowth = liveAfter - liveBefore;
const cpuPercent = ((underLoad.at(-1).cpuSeconds - underLoad[0].cpuSeconds) / ((underLoad.at(-1).t - underLoad[0].t) / 1000)) * 100;

const checks = [
  ['no 5xx other than the injected 503s', unexpected5xx.length === 0, `${unexpected5xx.length} unexpected (${JSON.stringify(count(unexpected5xx))})`],
  ['no request errors or timeouts (client timeout 15 s)', errors.GET + errors.PATCH === 0 && getResult.timeouts + patchResult.timeouts === 0, `errors ${errors.GET + errors.PATCH}, timeouts ${getResult.timeouts + patchResult.timeouts}`],
  ['no 4xx (every request is valid)', other4xx.length === 0, `${other4xx.length}`],
  ['the fault was injected and recovered', !withFault || (fault.ready !== undefined && injected.length > 0), withFault ? `${injected.length} injected 503s` : 'fault disabled'],
  ['serving 200 after the fault', responses.filter(([t]) => t > faultTo).every(([, , status]) => status < 300), `${responses.filter(([t]) => t > faultTo).length} responses after the recovery window`],
  [
    `no heap growth (live heap after the run vs after the warm-up, <= +${maxHeapGrowthMb} MB)`,
    Number.isFinite(heapGrowth) && heapGrowth <= maxHeapGrowthMb,
    inspector ? `${liveBefore.toFixed(1)} -> ${liveAfter.toFixed(1)} MB (${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)} MB)` : 'not measured (LOAD_INSPECT_PORT unset)',
  ],
  [`RSS below ${maxRssMb} MB`, maxOf(rss) < maxRssMb, `peak ${maxOf(rss).toFixed(0)} MB`],
  ['service still running', existsProcess(pid), `pid ${pid}`],
];
function existsProcess(id) {
  try {
    process.kill(id, 0);
    return true;
  } catch {
    return false;
  }
}
const passed = checks.every(([, ok]) => ok);

const buckets = [];
const bucketSeconds = 5;
for (let from = 0; from < loadEnd; from += bucketSeconds * 1000) {
  const inBucket = responses.filter(([t]) => t >= from && t < from + bucketSeconds * 1000);
  const rssIn = underLoad.filter(({ t }) => t >= from && t < from + bucketSeconds * 1000).map(({ rssMb }) => rssMb);
  const marks = [];
  for (const [name, t] of Object.entries(fault)) if (typeof t === 'number' && t >= from && t < from + bucketSeconds * 1000) marks.push(name);
  buckets.push(
    `| ${(from / 1000).toFixed(0)}-${((from + bucketSeconds * 1000) / 1000).toFixed(0)} | ${(inBucket.length / bucketSeconds).toFixed(0)} | ${JSON.stringify(count(inBucket)).replace(/"/g, '')} | ${rssIn.length ? maxOf(rssIn).toFixed(0) : '-'} | ${marks.join(', ')} |`,
  );
}

const s = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const commit = (() => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // The build is of the working tree: say when src/ differs from the commit.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim();
    return dirty ? `${head} + uncommitted changes in src/ (${dirty.split('\n').length} files)` : head;
  } catch {
    return '?';
  }
})();
const report = `# Load run results

Written by \`npm run test:load\` (load/run.sh, load/load.mjs); see [README.md](README.md). **${passed ? 'PASS' : 'FAIL'}**

- Date: ${new Date().toISOString()}, commit ${commit}, Node ${process.version}
- Machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'} (shared with other work; load average ${loadavg().map((value) => value.toFixed(2)).join(' ')} at the end)
- Service: separate process (\`node load/.build/main.js\`), default timeouts and caches, LOG_LEVEL=${env.LOAD_LOG_LEVEL ?? 'warn'}, rate limit off; real kube-apiserver + Prometheus (test bed)
- Traffic: ${seconds} s closed loop, ${connections} connections cycling ${ROUTES.length} GET routes (${[...new Set(ROUTES.map(([name]) => name))].join(', ')}), plus weight PATCHes at ${patchRate}/s on 1 connection
- Fault: ${withFault ? `kube-apiserver stopped at ${s(fault.stopInvoked)} (down at ${s(fault.stopped)}), started at ${s(fault.startInvoked)}, ready at ${s(fault.ready)}; 503s until ready + ${recoveryGraceMs / 1000} s count as injected; last injected 503 at ${s(lastInjected)}${fault.error ? `; ERROR ${fault.error}` : ''}` : 'none (LOAD_FAULT=0)'}

## Throughput and latency

| | requests | req/s |
|---|---|---|
| GET | ${getResponses.length} | ${(getResponses.length / (trafficEnd / 1000)).toFixed(0)} |
| PATCH | ${patchResponses.length} | ${(patchResponses.length / (trafficEnd / 1000)).toFixed(1)} |
| all, before the fault (0 to ${s(beforeFaultEnd)}) | ${beforeFault.length} (${JSON.stringify(count(beforeFault))}) | ${(beforeFault.length / (beforeFaultEnd / 1000)).toFixed(0)} |
| all, outside the fault window | ${outsideFault.length} | ${(outsideFault.length / ((trafficEnd - faultOverlap) / 1000)).toFixed(0)} |

Latency in ms (client side, request sent to response complete):

| | n | p50 | p90 | p99 | p99.9 | max |
|---|---|---|---|---|---|---|
${latencyRow('GET, all', getResponses)}
${latencyRow('GET, before the fault', getResponses.filter(([t]) => t < beforeFaultEnd))}
${latencyRow('GET, outside the fault window', getResponses.filter(([t]) => !inFault(t)))}
${latencyRow('PATCH, all', patchResponses)}
${latencyRow('PATCH, outside the fault window', patchResponses.filter(([t]) => !inFault(t)))}

## Status codes

- GET: ${JSON.stringify(count(getResponses))}; PATCH: ${JSON.stringify(count(patchResponses))}
- Error codes: ${[...codes.entries()].map(([key, n]) => `${key}: ${n}`).join('; ') || 'none'}
- Injected 503s (inside the fault window): ${injected.length}; **5xx other than injected 503s: ${unexpected5xx.length}**; request errors/timeouts: ${errors.GET + errors.PATCH}/${getResult.timeouts + patchResult.timeouts}

## Service process

- RSS: ${startRss.toFixed(0)} MB at start-up, ${idleBefore.rssMb.toFixed(0)} MB after the ${warmupSeconds} s warm-up, peak under load ${maxOf(rss).toFixed(0)} MB, last sample under load ${rss.at(-1).toFixed(0)} MB, idle 5 s after ${idleAfter.rssMb.toFixed(0)} MB
- Live heap (after a forced full GC): ${liveBefore?.toFixed(1) ?? '-'} MB after the warm-up, ${liveAfter?.toFixed(1) ?? '-'} MB after the run
- CPU: ${cpuPercent.toFixed(0)} % of one core on average under load (Node serves on one thread)

## Criteria

| check | result | detail |
|---|---|---|
${checks.map(([name, ok, detail]) => `| ${name} | ${ok ? 'pass' : '**FAIL**'} | ${detail} |`).join('\n')}

## Timeline (${bucketSeconds} s buckets)

| s | req/s | statuses | max RSS MB | fault |
|---|---|---|---|---|
${buckets.join('\n')}
`;
writeFileSync(resultsPath, report);
console.log(report);
process.exit(passed ? 0 : 1);
