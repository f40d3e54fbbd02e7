// Load and latency measurement. Throughput comes from autocannon (HTTP/1.1 keep-alive, fixed
// connection count); latency from sequential requests timed in this process, so a service call and
// a direct call to kube-apiserver/Prometheus are timed the same way. Baseline and candidate run in
// alternating rounds so drift on the shared machine affects both alike.
import autocannon from 'autocannon';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) };
}

/** One autocannon run; fails loudly on errors or non-2xx answers (a fast 4xx is not throughput). */
export async function autocannonRun({ url, headers = {}, method = 'GET', body, requests, connections = 16, durationS, amount }) {
  const result = await autocannon({ url, headers, method, body, requests, connections, pipelining: 1, ...(amount ? { amount } : { duration: durationS }) });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  return { requests: result.requests.total, seconds: result.duration, rps: result.requests.total / result.duration, p50: result.latency.p50 };
}

/** Requests per second of two targets, measured in alternating rounds; each side's total over its own time. */
export async function compareThroughput(a, b, { rounds = 2, durationS = 5, connections = 16 } = {}) {
  const totals = { a: { requests: 0, seconds: 0 }, b: { requests: 0, seconds: 0 } };
  for (let round = 0; round < rounds; round++) {
    for (const [side, target] of [['a', a], ['b', b]]) {
      const run = await autocannonRun({ ...target, connections, durationS });
      totals[side].requests += run.requests;
      totals[side].seconds += run.seconds;
    }
  }
  return { a: totals.a.requests / totals.a.seconds, b: totals.b.requests / totals.b.seconds };
}

/** Sequential latency of two async operations, alternating rounds of `roundMs` each after a warm-up. */
export async function compareLatency(a, b, { rounds = 3, roundMs = 1_500, warmup = 20 } = {}) {
  const samples = { a: [], b: [] };
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  for (let round = 0; round < rounds; round++) {
    for (const [side, run] of [['a', a], ['b', b]]) {
      const end = performance.now() + roundMs;
      while (performance.now() < end) {
        const started = performance.now();
        await run();
        samples[side].push(performance.now() - started);
      }
    }
  }
  return { a: summary(samples.a), b: summary(samples.b) };
}

/** Sequential latency of one operation. */
export async function measureLatency(run, { durationMs = 3_000, warmup = 10, maxSamples = 5_000 } = {}) {
  for (let i = 0; i < warmup; i++) await run();
  const samples = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end && samples.length < maxSamples) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return summary(samples);
}

/** fetch that fails on a non-2xx answer and reads the whole body (as a client would). */
export async function fetchOk(url, init) {
  const response = await fetch(url, init);
  const body = await response.arrayBuffer();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status} ${Buffer.from(body).toString().slice(0, 200)}`);
  return body;
}
