// Generates OpenMetrics text with Istio standard metrics (istio_requests_total,
// istio_request_duration_milliseconds_{bucket,sum,count}) from testbed/telemetry-fixture.json,
// for `promtool tsdb create-blocks-from openmetrics`. All counters grow at constant rates, so
// rate()/histogram_quantile() return exactly the fixture's values.
//
//   node gen-telemetry.mjs --fixture F --out data.om --range-out range.json [--now UNIX_S]
//   node gen-telemetry.mjs --fixture F --check        (validate the fixture only)
//   --no-histograms: request counters only (the benchmark's high-cardinality service, bench/lib/scale-telemetry.mjs)
import { openSync, writeSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    fixture: { type: 'string' },
    out: { type: 'string' },
    'range-out': { type: 'string' },
    now: { type: 'string' },
    check: { type: 'boolean', default: false },
    'no-histograms': { type: 'boolean', default: false },
  },
});
if (!args.fixture) throw new Error('--fixture is required');
const fx = JSON.parse(readFileSync(args.fixture, 'utf8'));

// ---------------------------------------------------------------- fixture validation
const EPS = 1e-9;
const close = (a, b, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
const buckets = fx.histogram.buckets;

/** cumulative share of requests with latency <= le, for every histogram bucket (step function). */
function cumulativeFor(svc) {
  const defined = Object.entries(svc.latencyCumulative)
    .map(([k, v]) => [Number(k), v])
    .sort((a, b) => a[0] - b[0]);
  for (const [le] of defined) {
    if (!buckets.includes(le)) throw new Error(`${svc.service}: latencyCumulative key ${le} is not a bucket bound`);
  }
  if (!close(defined.at(-1)[1], 1)) throw new Error(`${svc.service}: latencyCumulative must reach 1`);
  const out = buckets.map((b) => {
    let v = 0;
    for (const [le, c] of defined) if (le <= b) v = c;
    return v;
  });
  for (let i = 1; i < out.length; i++) {
    if (out[i] < out[i - 1]) throw new Error(`${svc.service}: latencyCumulative not monotonic`);
  }
  return out;
}

/** Prometheus' histogram_quantile (promql/quantile.go bucketQuantile) on cumulative counts. */
function histogramQuantile(q, bounds, cum) {
  const bs = bounds.map((b, i) => ({ ub: b, count: cum[i] }));
  bs.push({ ub: Infinity, count: 1 });
  const rank = q * bs.at(-1).count;
  let i = bs.findIndex((b) => b.count >= rank);
  if (i === bs.length - 1) return bs[bs.length - 2].ub;
  if (i === 0 && bs[0].ub <= 0) return bs[0].ub;
  let start = 0;
  let end = bs[i].ub;
  let count = bs[i].count;
  let r = rank;
  if (i > 0) {
    start = bs[i - 1].ub;
    count -= bs[i - 1].count;
    r -= bs[i - 1].count;
  }
  return start + (end - start) * (r / count);
}

const isError = (r) =>
  /^5\d\d$/.test(r.code) || r.code === '0' || (r.code === '200' && r.grpcStatus !== undefined && r.grpcStatus !== '0');
const is4xx = (r) => /^4\d\d$/.test(r.code);

const services = new Map();
for (const s of fx.services) {
  const key = `${s.service}.${s.namespace}`;
  const share = s.responses.reduce((a, r) => a + r.share, 0);
  if (!close(share, 1)) throw new Error(`${key}: response shares sum to ${share}, not 1`);
  const wshare = s.workloads.reduce((a, w) => a + w.share, 0);
  if (!close(wshare, 1)) throw new Error(`${key}: workload shares sum to ${wshare}, not 1`);
  const err = s.responses.filter(isError).reduce((a, r) => a + r.share, 0);
  if (!close(err, s.errorRate)) throw new Error(`${key}: errorRate ${s.errorRate} but responses give ${err}`);
  const err4 = err + s.responses.filter(is4xx).reduce((a, r) => a + r.share, 0);
  if (!close(err4, s.errorRateWith4xx)) throw new Error(`${key}: errorRateWith4xx ${s.errorRateWith4xx} but responses give ${err4}`);
  const cum = cumulativeFor(s);
  const p99 = histogramQuantile(0.99, buckets, cum);
  if (!close(p99, s.p99Ms, 1e-6)) throw new Error(`${key}: p99Ms ${s.p99Ms} but buckets give ${p99}`);
  services.set(key, { ...s, cum });
}
const inbound = new Map();
for (const e of fx.edges) {
  const key = `${e.destination}.${e.destinationNamespace}`;
  if (!services.has(key)) throw new Error(`edge to unknown service ${key}`);
  inbound.set(key, (inbound.get(key) ?? 0) + e.rps);
}
for (const [key, s] of services) {
  if (!close(inbound.get(key) ?? 0, s.rps)) throw new Error(`${key}: edges sum to ${inbound.get(key)} rps, fixture says ${s.rps}`);
}
if (args.check) {
  console.log(`fixture ok: ${services.size} services, ${fx.edges.length} edges`);
  process.exit(0);
}
if (!args.out) throw new Error('--out is required');

// ---------------------------------------------------------------- series
const step = fx.sampleIntervalSeconds;
const nowS = args.now ? Number(args.now) : Math.floor(Date.now() / 1000);
const end = Math.floor((nowS + fx.futureSeconds) / step) * step;
const start = Math.floor((nowS - fx.historySeconds) / step) * step;
// Counters pretend the proxies have been up for an hour before the first sample, so rate()
// extrapolation at the start of the range is never clamped at zero.
const PRIOR_S = 3600;

// The Istio standard labels tests and Kiali-style queries use. (Istio also sets *_principal,
// *_app, *_version and *_cluster; left out to keep the backfill file small.)
function commonLabels(e, s, w, reporter) {
  const srcRev = /-(v\d+|stable|canary)$/.exec(e.sourceWorkload)?.[1] ?? 'latest';
  return {
    reporter,
    source_workload: e.sourceWorkload,
    source_workload_namespace: e.sourceNamespace,
    source_canonical_service: e.source,
    source_canonical_revision: srcRev,
    destination_workload: w.name,
    destination_workload_namespace: s.namespace,
    destination_canonical_service: s.service,
    destination_canonical_revision: w.version,
    destination_service: `${s.service}.${s.namespace}.svc.cluster.local`,
    destination_service_name: s.service,
    destination_service_namespace: s.namespace,
    request_protocol: s.protocol,
  };
}
const fmtLabels = (l) =>
  '{' + Object.entries(l).map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',') + '}';

const counters = []; // {labels, rate}
const histos = []; // {labels, rate, cum, meanMs}
for (const e of fx.edges) {
  const s = services.get(`${e.destination}.${e.destinationNamespace}`);
  for (const w of s.workloads) {
    for (const reporter of ['destination', 'source']) {
      for (const r of s.responses) {
        const labels = {
          ...commonLabels(e, s, w, reporter),
          response_code: r.code,
          grpc_response_status: r.grpcStatus ?? '',
          response_flags: r.flags ?? '-',
          connection_security_policy: reporter === 'destination' ? 'mutual_tls' : 'unknown',
        };
        counters.push({ labels, rate: e.rps * w.share * r.share });
      }
    }
    if (args['no-histograms']) continue;
    const dominant = s.responses[0];
    histos.push({
      labels: {
        ...commonLabels(e, s, w, 'destination'),
        response_code: dominant.code,
        grpc_response_status: dominant.grpcStatus ?? '',
        response_flags: '-',
        connection_security_policy: 'mutual_tls',
      },
      rate: e.rps * w.share,
      cum: s.cum,
      meanMs: s.meanMs,
    });
  }
}

// ---------------------------------------------------------------- output
const fd = openSync(args.out, 'w');
let buf = '';
const flush = (force) => {
  if (force || buf.length > 1 << 20) {
    writeSync(fd, buf);
    buf = '';
  }
};
const nSamples = Math.floor((end - start) / step) + 1;
const fmtV = (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(15).replace(/\.?0+$/, ''));
function series(name, labels, valueAt) {
  const prefix = name + fmtLabels(labels) + ' ';
  for (let i = 0; i < nSamples; i++) {
    const t = start + i * step;
    buf += prefix + fmtV(valueAt(t - start + PRIOR_S)) + ' ' + t + '\n';
    if ((i & 255) === 0) flush(false);
  }
}

buf += '# HELP istio_requests_total Total requests (testbed backfill, constant rates from telemetry-fixture.json).\n';
buf += '# TYPE istio_requests_total counter\n';
for (const c of counters) series('istio_requests_total', c.labels, (dt) => c.rate * dt);
buf += '# HELP istio_request_duration_milliseconds Request duration (testbed backfill).\n';
buf += '# TYPE istio_request_duration_milliseconds histogram\n';
for (const h of histos) {
  buckets.forEach((b, i) => {
    series('istio_request_duration_milliseconds_bucket', { ...h.labels, le: String(b) }, (dt) => h.rate * h.cum[i] * dt);
  });
  series('istio_request_duration_milliseconds_bucket', { ...h.labels, le: '+Inf' }, (dt) => h.rate * dt);
  series('istio_request_duration_milliseconds_sum', h.labels, (dt) => h.rate * h.meanMs * dt);
  series('istio_request_duration_milliseconds_count', h.labels, (dt) => h.rate * dt);
}
buf += '# EOF\n';
flush(true);
closeSync(fd);

const nSeries = counters.length + histos.length * (buckets.length + 3);
const range = {
  generatedAt: nowS,
  start,
  end,
  stepSeconds: step,
  series: nSeries,
  samples: nSeries * nSamples,
};
if (args['range-out']) writeFileSync(args['range-out'], JSON.stringify(range, null, 2) + '\n');
console.log(JSON.stringify(range));
