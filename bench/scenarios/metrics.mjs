// Scenario 3: metrics.
//  a) 100 concurrent identical requests on a cold cache: how many query_range requests Prometheus
//     itself counted (prometheus_http_requests_total), vs the cache windows the burst spanned;
//  b) cached p50 vs the same query_range sent straight to Prometheus, for each metric, on the test
//     bed's fixture (a handful of series per service: the direct query is unrealistically cheap);
//  e) the same for rps and error rate on a service with production-like cardinality.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareLatency, fetchOk } from '../lib/load.mjs';
import { OUT, startProcess } from '../lib/processes.mjs';
import { directQueryRange, queryRangeRequestsReceived } from '../lib/prometheus.mjs';
import { SCALE_SERIES, SCALE_TARGET } from '../lib/scale-telemetry.mjs';
import { absoluteRow, formatNumber, infoRow, ratioRow } from '../lib/report.mjs';

const TARGET = { service: 'payment-service', namespace: 'payments' };

export async function metricsScenario(ctx) {
  const { service, headers, env } = ctx;
  const { METRICS } = await import(join(ctx.dist, 'metrics/metric-definitions.js'));
  const { planQueryWindow } = await import(join(ctx.dist, 'prometheus/range.js'));
  const rows = [];

  // a) A range nobody asked for yet in this run, so the burst starts on a cold cache.
  const range = '2h';
  const url = `${service.url}/api/v1/istio/metrics/rps?service=${TARGET.service}&namespace=${TARGET.namespace}&range=${range}`;
  const before = await queryRangeRequestsReceived(env.PROMETHEUS_URL);
  const started = Date.now() / 1000;
  await Promise.all(Array.from({ length: 100 }, () => fetchOk(url, { headers })));
  const finished = Date.now() / 1000;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const received = (await queryRangeRequestsReceived(env.PROMETHEUS_URL)) - before;
  // The cache key holds the step-aligned end, so a burst that crosses a step boundary is two windows.
  const { step } = planQueryWindow(range, Math.floor(started));
  const windows = Math.floor(finished / step) - Math.floor(started / step) + 1;
  rows.push(
    absoluteRow({
      id: '3a',
      measure: `100 concurrent identical metrics requests: query_range requests Prometheus received (${windows} cache window${windows > 1 ? 's' : ''})`,
      value: received,
      unit: '',
      op: '<=',
      limit: windows,
      baseline: 'without merging: 100',
    }),
  );

  // b) Cached answers vs direct query_range, metric by metric (1h range, as the portal asks).
  for (const [metric, id] of [['rps', '3b'], ['error-rate', '3c'], ['latency', '3d']]) {
    const serviceUrl = `${service.url}/api/v1/istio/metrics/${metric}?service=${TARGET.service}&namespace=${TARGET.namespace}&range=1h`;
    const direct = () => {
      const plan = planQueryWindow('1h', Math.floor(Date.now() / 1000));
      const query = METRICS[metric].query(TARGET, plan.window);
      return directQueryRange(env.PROMETHEUS_URL, { query, start: String(plan.start), end: String(plan.end), step: String(plan.step) });
    };
    const latency = await compareLatency(() => fetchOk(serviceUrl, { headers }), direct, { rounds: 2, roundMs: 1_000, warmup: 10 });
    rows.push(ratioRow({ id, measure: `GET /metrics/${metric} (1h), cached: p50, sequential`, value: latency.a.p50, unit: 'ms', baselineLabel: 'direct query_range', baseline: latency.b.p50, op: '<=', limit: 0.2 }));
    if (metric === 'rps') rows.push(await floorRow(ctx, serviceUrl, direct));
  }

  // e-f) The same at production-like cardinality (bench/lib/scale-telemetry.mjs): first check that
  // the cached answer holds the same points as the direct query, then compare.
  for (const [metric, id] of [['rps', '3e'], ['error-rate', '3f']]) {
    const serviceUrl = `${service.url}/api/v1/istio/metrics/${metric}?service=${SCALE_TARGET.service}&namespace=${SCALE_TARGET.namespace}&range=1h`;
    const direct = () => {
      const plan = planQueryWindow('1h', Math.floor(Date.now() / 1000));
      const query = METRICS[metric].query(SCALE_TARGET, plan.window);
      return directQueryRange(env.PROMETHEUS_URL, { query, start: String(plan.start), end: String(plan.end), step: String(plan.step) });
    };
    const [answer, reference] = await Promise.all([fetchOk(serviceUrl, { headers }).then((body) => JSON.parse(Buffer.from(body).toString())), direct()]);
    const expected = (reference.data.result[0]?.values ?? []).map(([timestamp, value]) => ({ timestamp, value: Number(value) }));
    if (expected.length < 100 || JSON.stringify(answer.timeseries) !== JSON.stringify(expected)) {
      throw new Error(`${metric} for ${SCALE_TARGET.service}: the service's ${answer.timeseries.length} points differ from the direct query's ${expected.length} (is the high-cardinality backfill loaded?)`);
    }
    const latency = await compareLatency(() => fetchOk(serviceUrl, { headers }), direct, { rounds: 2, roundMs: 1_000, warmup: 10 });
    rows.push(
      ratioRow({
        id,
        measure: `GET /metrics/${metric} (1h), cached, production-like cardinality (${SCALE_SERIES.toLocaleString('en-US')} series: 40 callers x 4 workloads x 2 reporters x 4 codes): p50`,
        value: latency.a.p50,
        unit: 'ms',
        baselineLabel: 'direct query_range',
        baseline: latency.b.p50,
        op: '<=',
        limit: 0.2,
      }),
    );
  }
  return rows;
}

/**
 * The floor of this measurement: a bare Fastify server answering the same JSON, timed by the same
 * client against the same direct query. No server can be cached faster than this, so when the
 * direct query is cheap (a small data set), the floor itself is close to the 0.2x target.
 */
async function floorRow(ctx, serviceUrl, direct) {
  const payloadFile = join(OUT, 'metrics-rps.json');
  writeFileSync(payloadFile, Buffer.from(await fetchOk(serviceUrl, { headers: ctx.headers })));
  const bare = await startProcess('bare-fastify-metrics', 'bench/baseline-fastify.mjs', { PATH: process.env.PATH, BENCH_PAYLOAD: payloadFile });
  try {
    const floor = await compareLatency(() => fetchOk(`${bare.url}/metrics/rps`), direct, { rounds: 2, roundMs: 1_000, warmup: 10 });
    return infoRow({
      id: '3b*',
      measure: 'floor: a bare Fastify server answering the same JSON (no auth, no logic), same client',
      service: formatNumber(floor.a.p50, 'ms'),
      baseline: `direct query_range: ${formatNumber(floor.b.p50, 'ms')}`,
      ratio: `${(floor.a.p50 / floor.b.p50).toFixed(2)}x`,
    });
  } finally {
    await bare.stop();
  }
}
