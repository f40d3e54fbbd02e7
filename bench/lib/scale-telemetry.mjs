// Production-like cardinality for the cached-metrics rows 3e/3f: one extra service, orders in
// namespace bench-scale, called by 40 workloads, served by 4 workloads, with 4 response codes and
// both reporters: 1,280 istio_requests_total series, the order of a busy service in a real mesh
// (the test bed's fixture has a handful per service, which makes a direct query unrealistically
// cheap). Counters only (no latency histograms; 3d already covers the histogram query).
//
// Backfilled into the benchmark's own test bed Prometheus with the test bed's generator and
// promtool, then Prometheus is restarted to load the blocks. Done once per test bed backfill: the
// block ids are kept in <prometheus data>/bench-scale.json and the blocks replaced when they cover
// less than an hour ahead.
//   node bench/lib/scale-telemetry.mjs   (TESTBED_DIR and the test bed env set; run by bench/run.sh)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT, REPO } from './processes.mjs';

export const SCALE_TARGET = { service: 'orders', namespace: 'bench-scale' };
export const SCALE_SERIES = 40 * 4 * 2 * 4;
const TOTAL_RPS = 200;

export function scaleFixture(base) {
  const callers = Array.from({ length: 40 }, (_, i) => `caller-${String(i + 1).padStart(2, '0')}`);
  return {
    ...base,
    sampleIntervalSeconds: 30,
    historySeconds: 2 * 3600,
    futureSeconds: 4 * 3600,
    services: [
      {
        service: SCALE_TARGET.service,
        namespace: SCALE_TARGET.namespace,
        protocol: 'http',
        rps: TOTAL_RPS,
        errorRate: 0.03,
        errorRateWith4xx: 0.05,
        p99Ms: 244,
        meanMs: 38,
        responses: [
          { code: '200', share: 0.95 },
          { code: '404', share: 0.02 },
          { code: '503', share: 0.02, flags: 'UH' },
          { code: '0', share: 0.01, flags: 'DC' },
        ],
        workloads: ['a', 'b', 'c', 'd'].map((suffix) => ({ name: `orders-${suffix}`, version: 'v1', share: 0.25 })),
        latencyCumulative: { 5: 0.05, 10: 0.2, 25: 0.55, 50: 0.8, 100: 0.93, 250: 0.9925, 500: 0.999, 1000: 1 },
      },
    ],
    edges: callers.map((caller, i) => ({
      source: caller,
      sourceWorkload: `${caller}-v1`,
      sourceNamespace: `team-${i % 8}`,
      destination: SCALE_TARGET.service,
      destinationNamespace: SCALE_TARGET.namespace,
      rps: TOTAL_RPS / callers.length,
    })),
  };
}

function main() {
  const state = process.env.TESTBED_DIR;
  if (!state) throw new Error('TESTBED_DIR is not set');
  const data = join(state, 'prometheus', 'data');
  const markerFile = join(data, 'bench-scale.json');
  const log = (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
  const marker = existsSync(markerFile) ? JSON.parse(readFileSync(markerFile, 'utf8')) : undefined;
  if (marker && marker.end - Date.now() / 1000 > 3600) {
    log(`reusing the high-cardinality series (${marker.series} series, until ${new Date(marker.end * 1000).toISOString().slice(11, 19)})`);
    return;
  }
  for (const block of marker?.blocks ?? []) rmSync(join(data, block), { recursive: true, force: true });

  log(`backfilling ${SCALE_SERIES} series for ${SCALE_TARGET.service}.${SCALE_TARGET.namespace} (production-like cardinality)`);
  const base = JSON.parse(readFileSync(join(REPO, 'testbed', 'telemetry-fixture.json'), 'utf8'));
  const fixtureFile = join(OUT, 'scale-fixture.json');
  const openMetrics = join(OUT, 'scale-telemetry.om');
  const rangeFile = join(OUT, 'scale-range.json');
  writeFileSync(fixtureFile, JSON.stringify(scaleFixture(base)));
  execFileSync(process.execPath, [join(REPO, 'testbed', 'js', 'gen-telemetry.mjs'), '--fixture', fixtureFile, '--out', openMetrics, '--range-out', rangeFile, '--no-histograms'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const blocksDir = mkdtempSync(join(OUT, 'scale-blocks-'));
  try {
    execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', openMetrics, blocksDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const blocks = readdirSync(blocksDir).filter((name) => /^[0-9A-Z]{26}$/.test(name));
    if (blocks.length === 0) throw new Error('promtool wrote no blocks');
    for (const block of blocks) renameSync(join(blocksDir, block), join(data, block));
    const range = JSON.parse(readFileSync(rangeFile, 'utf8'));
    writeFileSync(markerFile, JSON.stringify({ blocks, series: range.series, end: range.end }));
  } finally {
    rmSync(blocksDir, { recursive: true, force: true });
    rmSync(openMetrics, { force: true });
  }
  // Prometheus loads blocks moved into its data directory on start.
  execFileSync('bash', [join(REPO, 'testbed', 'ctl.sh'), 'restart', 'prometheus'], { stdio: ['ignore', 'ignore', 'inherit'] });
  log('high-cardinality series loaded');
}

if (import.meta.url === `file://${process.argv[1]}`) main();
