// The benchmark driver (run by bench/run.sh with the test bed's env and the app built into
// bench/out/dist). Seeds bench-owned namespaces, runs the scenarios against the service as a
// separate process, prints one table and writes bench/RESULTS.md. Every ratio compares two figures
// measured in this run on this machine; absolute numbers are only for the absolute targets.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BenchCluster } from './lib/cluster.mjs';
import { OUT, REPO } from './lib/processes.mjs';
import { renderTable } from './lib/report.mjs';
import { WHY } from './lib/why.mjs';
import { leakScenario, startServiceMeasured } from './scenarios/footprint.mjs';
import { listScenario } from './scenarios/list.mjs';
import { metricsScenario } from './scenarios/metrics.mjs';
import { overrideScenario } from './scenarios/override.mjs';
import { topologyScenario } from './scenarios/topology.mjs';
import { weightsScenario } from './scenarios/weights.mjs';

const env = process.env;
for (const name of ['KUBECONFIG_PATH', 'PROMETHEUS_URL', 'JWT_SECRET', 'TESTBED_APISERVER_URL', 'TESTBED_CA_FILE', 'TESTBED_ADMIN_TOKEN']) {
  if (!env[name]) throw new Error(`${name} is not set: run the benchmark with npm run bench`);
}
const log = (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const t0 = performance.now();

function token(secret) {
  const encode = (object) => Buffer.from(JSON.stringify(object)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'bench', roles: ['admin'], iat: now, exp: now + 3600 })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const runId = Date.now().toString(36);
const dist = join(OUT, 'dist');
const ctx = {
  env,
  dist,
  main: join(dist, 'main.js'),
  // As deployed, except: no per-request access log lines (LOG_LEVEL=warn) and no per-caller rate
  // limit (one benchmark caller would hit 600/min at once).
  serviceEnv: {
    PATH: env.PATH,
    KUBECONFIG_PATH: env.KUBECONFIG_PATH,
    PROMETHEUS_URL: env.PROMETHEUS_URL,
    JWT_SECRET: env.JWT_SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
  },
  load: { rounds: Number(env.BENCH_ROUNDS ?? 2), durationS: Number(env.BENCH_DURATION_S ?? 5), connections: Number(env.BENCH_CONNECTIONS ?? 16) },
  cluster: new BenchCluster(env.KUBECONFIG_PATH),
  ns: { list: `bench-list-${runId}`, topology: `bench-topology-${runId}` },
  headers: { authorization: `Bearer ${token(env.JWT_SECRET)}` },
};

// BENCH_ONLY=list,metrics runs a subset (while working on one target); it prints the table but does
// not overwrite bench/RESULTS.md, which always holds a full run.
const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',').map((name) => name.trim())) : undefined;
const rows = [];
async function scenario(name, run) {
  if (only && !only.has(name)) return;
  log(`scenario: ${name}`);
  try {
    rows.push(...(await run()));
  } catch (error) {
    log(`scenario ${name} failed: ${error.stack ?? error}`);
    rows.push({ id: name, measure: `${name}: FAILED: ${String(error.message ?? error).slice(0, 200)}`, service: '', baseline: '', ratio: '', target: '', met: false, gap: 'failed' });
  }
}

try {
  log(`seeding ${ctx.ns.list} (50 VirtualServices) and ${ctx.ns.topology} (2,000 VirtualServices)`);
  await ctx.cluster.createNamespace(ctx.ns.list);
  await ctx.cluster.seedVirtualServices(ctx.ns.list, 50);
  if (!only || only.has('topology')) {
    await ctx.cluster.createNamespace(ctx.ns.topology);
    await ctx.cluster.seedVirtualServices(ctx.ns.topology, 2_000, 16);
  }

  log('starting the service (3 times, for the start-up time)');
  const started = await startServiceMeasured(ctx);
  ctx.service = started.service;
  if (!only || only.has('startup')) rows.push(...started.rows);

  await scenario('list', () => listScenario(ctx));
  await scenario('weights', () => weightsScenario(ctx));
  await scenario('metrics', () => metricsScenario(ctx));
  await scenario('topology', () => topologyScenario(ctx));
  await scenario('override', () => overrideScenario(ctx));
  await scenario('leak', () => leakScenario(ctx, { total: Number(env.BENCH_LEAK_REQUESTS ?? 200_000) }));
} finally {
  await ctx.service?.stop();
  await ctx.cluster.deleteNamespace(ctx.ns.list);
  if (!only || only.has('topology')) await ctx.cluster.deleteNamespace(ctx.ns.topology);
}

rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
const table = renderTable(rows);
const seconds = Math.round((performance.now() - t0) / 1000);
console.log(`\n${table}\n`);

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO }).toString().trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO }).toString().trim() ? ' (src/ had uncommitted changes)' : '';
const missed = rows.filter((row) => row.met === false);
const results = `# Benchmark results

Last run: ${new Date().toISOString()} · commit ${commit}${dirty} · ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}) · Node ${process.version} · \`npm run bench\` driver ran ${seconds} s.

Produced by \`npm run bench\` (see bench/README.md). Every ratio compares two figures measured in the
same run on the same machine, in alternating rounds; absolute figures (start-up, RSS, topology
time, freshness) are for the absolute targets only. The machine is shared (other engineers' tests
run on the same two cores), so figures move between runs; ratios move less.

${table}

## Targets missed: by how much, and why

${missed.length === 0 ? 'None.' : missed.map((row) => `- **${row.id}** ${row.measure}: ${row.gap}. ${WHY[row.id] ?? ''}`).join('\n')}
`;
if (only) {
  log(`BENCH_ONLY=${env.BENCH_ONLY}: ${rows.length} rows, ${missed.length} missed, in ${seconds} s; bench/RESULTS.md left as it was`);
} else {
  writeFileSync(join(REPO, 'bench', 'RESULTS.md'), results);
  log(`wrote bench/RESULTS.md (${rows.length} rows, ${missed.length} missed) in ${seconds} s`);
}
