import { LIVENESS_WINDOW_MS, startService, type RunningService } from '../support/e2e.js';
import { eventually, testbedCtlAsync, testbedPid } from '../support/hostile-fixtures.js';
import { sleep } from '../support/wait.js';

/**
 * Faults while the service is under load (test/e2e/faults.e2e.ts covers single requests): a few
 * clients keep calling Kubernetes-backed and Prometheus-backed routes while kube-apiserver is
 * stopped and started, then frozen (SIGSTOP: connections accepted, never answered), then
 * Prometheus is stopped and started, then frozen. Every answer must be 200 or 503, none may take
 * longer than the configured timeout plus slack (each request carries a client-side timeout), the
 * routes that do not need the failed upstream keep answering 200, and everything serves 200 again
 * after the restart without restarting the service.
 */
const testbed = process.env.TESTBED === '1';
const describeOnTestbed = testbed ? describe : describe.skip;
const TIMEOUT_MS = 2_000;
const SLACK_MS = 2_500;
const WORKERS = 6;
const HOLD_MS = 4_000;
/** A freeze lasts longer: requests hung when it began take TIMEOUT_MS to give up before new ones start. */
const FREEZE_MS = TIMEOUT_MS + 3_000;

type Needs = 'kubernetes' | 'prometheus' | 'both';
const ROUTES: Array<{ path: string; needs: Needs }> = [
  { path: '/api/v1/istio/virtual-services?namespace=payments', needs: 'kubernetes' },
  { path: '/api/v1/istio/virtual-services/payments/payment-service', needs: 'kubernetes' },
  { path: '/api/v1/istio/peer-authentications?namespace=payments', needs: 'kubernetes' },
  { path: '/api/v1/istio/authorization-policies?namespace=payments', needs: 'kubernetes' },
  { path: '/api/v1/istio/status', needs: 'kubernetes' },
  { path: '/api/v1/istio/topology?namespace=bookinfo', needs: 'kubernetes' },
  { path: '/api/v1/istio/metrics/rps?service=payment-service&namespace=payments&range=30m', needs: 'prometheus' },
  { path: '/api/v1/istio/metrics/error-rate?service=checkout&namespace=payments&range=1h', needs: 'prometheus' },
  { path: '/api/v1/istio/metrics/latency?service=reviews&namespace=bookinfo&range=6h', needs: 'prometheus' },
  { path: '/api/v1/istio/topology?namespace=payments&include=telemetry', needs: 'both' },
];

interface Sample {
  needs: Needs;
  path: string;
  start: number;
  end: number;
  /** HTTP status, or 0 when the client gave up (timeout) or the connection failed. */
  status: number;
  code?: string;
  failure?: string;
}

describeOnTestbed('faults under load on the test bed', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({
      KUBERNETES_TIMEOUT_MS: String(TIMEOUT_MS),
      KUBERNETES_LIVENESS_WINDOW_MS: String(LIVENESS_WINDOW_MS),
      PROMETHEUS_TIMEOUT_MS: String(TIMEOUT_MS),
      PROMETHEUS_CACHE_TTL_MS: '0',
    });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('apiserver and Prometheus each stopped/started and frozen, all mid-load: only 200/503, no hang, recovery without a restart', async () => {
    const samples: Sample[] = [];
    const token = service.token(['viewer'], 'fault-load');
    let stop = false;
    const worker = async (id: number) => {
      for (let i = id; !stop; i++) {
        const route = ROUTES[i % ROUTES.length]!;
        const start = performance.now();
        try {
          const response = await fetch(`${service.baseUrl}${route.path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS + SLACK_MS) });
          const body = (await response.json()) as { code?: string };
          samples.push({ ...route, start, end: performance.now(), status: response.status, code: body.code });
        } catch (error) {
          samples.push({ ...route, start, end: performance.now(), status: 0, failure: String((error as Error).name) });
        }
      }
    };
    const allRoutesServe = async () => {
      for (const route of ROUTES) if ((await service.request(route.path, { token })).status !== 200) return false;
      return true;
    };
    /** Requests that started after `from` and finished before `to`. */
    const within = (from: number, to: number) => samples.filter((sample) => sample.start >= from && sample.end <= to);

    const windows: Record<string, [number, number]> = {};
    const workers = Array.from({ length: WORKERS }, (_, id) => worker(id));
    try {
      windows.baseline = [performance.now(), performance.now() + 2_000];
      await sleep(2_000);

      /** Stops (ctl.sh) or freezes (SIGSTOP) one upstream for HOLD_MS (FREEZE_MS), restores it, and waits until every route serves again. */
      const fault = async (window: string, component: 'apiserver' | 'prometheus', how: 'stop' | 'freeze') => {
        const pid = how === 'freeze' ? testbedPid(component) : 0;
        if (how === 'stop') await testbedCtlAsync('stop', component);
        else process.kill(pid, 'SIGSTOP');
        const from = performance.now();
        try {
          await sleep(how === 'freeze' ? FREEZE_MS : HOLD_MS);
        } finally {
          if (how === 'freeze') process.kill(pid, 'SIGCONT');
        }
        windows[window] = [from, performance.now()];
        if (how === 'stop') await testbedCtlAsync('start', component);
        await eventually(allRoutesServe);
      };
      await fault('apiserverDown', 'apiserver', 'stop');
      await sleep(1_000);
      await fault('apiserverFrozen', 'apiserver', 'freeze');
      await sleep(1_000);
      await fault('prometheusDown', 'prometheus', 'stop');
      await sleep(1_000);
      await fault('prometheusFrozen', 'prometheus', 'freeze');
      windows.recovered = [performance.now(), performance.now() + 2_000];
      await sleep(2_000);
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    const count = (list: Sample[]) => list.reduce<Record<string, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
    const slowest = Math.max(...samples.map(({ start, end }) => end - start));
    console.info(
      `faults under load: ${samples.length} requests by ${WORKERS} clients, statuses ${JSON.stringify(count(samples))}, slowest ${slowest.toFixed(0)} ms; ` +
        Object.entries(windows)
          .map(([name, [from, to]]) => `${name} ${JSON.stringify(count(within(from, to)))}`)
          .join('; '),
    );

    // Nothing but 200 and 503; no request hung past the configured timeout + slack.
    expect(samples.filter(({ status }) => status !== 200 && status !== 503)).toEqual([]);
    expect(slowest).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    for (const sample of samples.filter(({ status }) => status === 503)) {
      expect(['KUBERNETES_UNAVAILABLE', 'PROMETHEUS_UNAVAILABLE']).toContain(sample.code);
    }

    // The faults happened, hit exactly the routes that need the failed upstream, and no others.
    const byNeed = (list: Sample[], needs: Needs[]) => list.filter((sample) => needs.includes(sample.needs));
    const violations: string[] = [];
    const describe = (sample: Sample) => `${sample.path} ${sample.status} ${sample.code ?? ''} after ${(sample.end - sample.start).toFixed(0)} ms`;
    const faults: Array<[string, Needs[], string, 'stop' | 'freeze']> = [
      ['apiserverDown', ['kubernetes', 'both'], 'KUBERNETES_UNAVAILABLE', 'stop'],
      ['apiserverFrozen', ['kubernetes', 'both'], 'KUBERNETES_UNAVAILABLE', 'freeze'],
      ['prometheusDown', ['prometheus', 'both'], 'PROMETHEUS_UNAVAILABLE', 'stop'],
      ['prometheusFrozen', ['prometheus', 'both'], 'PROMETHEUS_UNAVAILABLE', 'freeze'],
    ];
    for (const [name, affected, code, how] of faults) {
      const [from, to] = windows[name]!;
      // Stopped: every affected request in the window fails. Frozen: those started early enough to time out before the thaw,
      // after the configured timeout (not sooner: nothing is made up; not later: the client timeout above). A frozen
      // API server may still be answered from the watch cache for the liveness window, so checks start after it.
      const grace = name.startsWith('apiserver') ? LIVENESS_WINDOW_MS : 0;
      const hit =
        how === 'stop'
          ? byNeed(within(from, to), affected)
          : byNeed(samples, affected).filter((sample) => sample.start >= from + grace && sample.start <= to - TIMEOUT_MS - 250);
      if (hit.length === 0) violations.push(`${name}: no request of the affected routes to check`);
      for (const sample of hit) {
        if (sample.status !== 503 || sample.code !== code) violations.push(`${name}: ${describe(sample)}, expected 503 ${code}`);
        if (how === 'freeze' && sample.end - sample.start < TIMEOUT_MS - 100) violations.push(`${name}: ${describe(sample)}, sooner than the timeout`);
      }
      const unaffected = (['kubernetes', 'prometheus'] as Needs[]).filter((need) => !affected.includes(need));
      for (const sample of byNeed(within(from, to), unaffected)) if (sample.status !== 200) violations.push(`${name}: unaffected route ${describe(sample)}`);
    }
    expect(violations).toEqual([]);

    // Before any fault everything answered 200 (the 503s are the injected ones).
    const baseline = within(...windows.baseline!);
    expect(baseline.length).toBeGreaterThan(0);
    expect(count(baseline)).toEqual({ 200: baseline.length });

    // Same process, serving again: everything after the last recovery is 200.
    const after = samples.filter((sample) => sample.start >= windows.recovered![0]);
    expect(after.length).toBeGreaterThan(0);
    expect(count(after)).toEqual({ 200: after.length });
    expect((await fetch(`${service.baseUrl}/healthz`)).status).toBe(200);
  });
});

if (!testbed) {
  it('faults under load need the local test bed (TESTBED=1); skipped against external clusters', () => {
    expect(testbed).toBe(false);
  });
}
