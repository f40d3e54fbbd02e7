// Sanity checks of a running test bed (run by up.sh; handy in CI logs too).
//   source .testbed/env && node testbed/js/verify.mjs [k8s] [prometheus]
import { readFileSync } from 'node:fs';
import { loadKubeConfig, log, CustomObjectsApi } from './k8s.mjs';

const what = process.argv.slice(2);
const want = (w) => what.length === 0 || what.includes(w);
const failures = [];
const check = (ok, msg) => {
  if (!ok) failures.push(msg);
};

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    if (typeof e?.code === 'number') return e.code;
    throw e;
  }
}

if (want('k8s')) {
  const admin = loadKubeConfig(process.env.KUBECONFIG_PATH).makeApiClient(CustomObjectsApi);
  const restricted = loadKubeConfig(process.env.TESTBED_RESTRICTED_KUBECONFIG).makeApiClient(CustomObjectsApi);
  const vs = (namespace) => ({ group: 'networking.istio.io', version: 'v1', plural: 'virtualservices', namespace });
  const list = await admin.listNamespacedCustomObject(vs('payments'));
  const names = list.items.map((i) => i.metadata.name).sort();
  check(['checkout', 'database', 'payment-service', 'payments-gateway'].every((n) => names.includes(n)), `admin VS list in payments: ${names}`);
  check((await status(restricted.listNamespacedCustomObject(vs('payments')))) === 200, 'restricted user cannot list VS in payments');
  check((await status(restricted.getNamespacedCustomObject({ ...vs('payments'), name: 'payment-service' }))) === 200, 'restricted user cannot get VS payments/payment-service');
  const s1 = await status(restricted.listNamespacedCustomObject(vs('bookinfo')));
  check(s1 === 403, `restricted user listing VS in bookinfo: expected 403, got ${s1}`);
  const s2 = await status(restricted.listNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', plural: 'peerauthentications', namespace: 'payments' }));
  check(s2 === 403, `restricted user listing PeerAuthentications in payments: expected 403, got ${s2}`);
  const s3 = await status(restricted.replaceNamespacedCustomObject({ ...vs('payments'), name: 'payment-service', body: list.items.find((i) => i.metadata.name === 'payment-service') }));
  check(s3 === 403, `restricted user updating a VS: expected 403, got ${s3}`);
  log(`k8s: admin sees ${names.length} VirtualServices in payments; restricted user: payments 200, bookinfo ${s1}, peerauthentications ${s2}, update ${s3}`);
}

if (want('prometheus')) {
  const base = process.env.PROMETHEUS_URL;
  const fx = JSON.parse(readFileSync(process.env.TESTBED_TELEMETRY_FIXTURE, 'utf8'));
  async function query(q) {
    const res = await fetch(`${base}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: q }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await res.json();
    if (body.status !== 'success') throw new Error(`${q}: ${body.errorType} ${body.error}`);
    return body.data.result;
  }
  const scalar = (r) => (r.length ? Number(r[0].value[1]) : NaN);
  const near = (a, b, rel = 1e-6) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));
  const fill = (q, s) => q.replaceAll('$SERVICE', s.service).replaceAll('$NAMESPACE', s.namespace);
  const rows = [];
  for (const s of fx.services) {
    const rps = scalar(await query(fill(fx.queries.rps, s)));
    const errRps = scalar(await query(fill(fx.queries.errors, s)));
    const p99 = scalar(await query(fill(fx.queries.p99, s)));
    const err = errRps / rps;
    check(near(rps, s.rps), `${s.service}.${s.namespace} rps ${rps} != ${s.rps}`);
    check(near(err, s.errorRate), `${s.service}.${s.namespace} errorRate ${err} != ${s.errorRate}`);
    check(near(p99, s.p99Ms), `${s.service}.${s.namespace} p99 ${p99} != ${s.p99Ms}`);
    rows.push(`${s.namespace}/${s.service}: rps ${rps.toFixed(3)} err ${err.toFixed(4)} p99 ${p99.toFixed(2)}ms`);
  }
  const edges = await query(fx.queries.edges);
  for (const e of fx.edges) {
    const got = edges
      .filter((r) => r.metric.source_canonical_service === e.source && r.metric.source_workload_namespace === e.sourceNamespace && r.metric.destination_service_name === e.destination && r.metric.destination_service_namespace === e.destinationNamespace)
      .reduce((a, r) => a + Number(r.value[1]), 0);
    const expected = fx.edges
      .filter((x) => x.source === e.source && x.sourceNamespace === e.sourceNamespace && x.destination === e.destination && x.destinationNamespace === e.destinationNamespace)
      .reduce((a, x) => a + x.rps, 0);
    check(near(got, expected), `edge ${e.source} -> ${e.destination}: ${got} rps != ${expected}`);
  }
  // query_range over the last hour, 60 s step
  const now = Math.floor(Date.now() / 1000);
  const s0 = fx.services[0];
  const res = await fetch(`${base}/api/v1/query_range`, {
    method: 'POST',
    body: new URLSearchParams({ query: fill(fx.queries.rps, s0), start: String(now - 3600), end: String(now), step: '60' }),
    signal: AbortSignal.timeout(10_000),
  }).then((r) => r.json());
  const pts = res.data?.result?.[0]?.values ?? [];
  check(pts.length === 61 && pts.every(([, v]) => near(Number(v), s0.rps)), `query_range ${s0.service}: ${pts.length} points, values ${[...new Set(pts.map((p) => p[1]))].slice(0, 3)}`);
  log(`prometheus: ${rows.join('; ')}; ${fx.edges.length} edges ok; query_range 1h/60s ${pts.length} points`);
}

if (failures.length) {
  for (const f of failures) log(`VERIFY FAILED: ${f}`);
  process.exit(1);
}
log('verify: all checks passed');
