import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIVENESS_WINDOW_MS, startService, type RunningService } from '../support/e2e.js';
import { testbedCtl } from '../support/kube.js';
import { eventually, sleep } from '../support/wait.js';

/**
 * Upstream faults on the real test bed: kube-apiserver and Prometheus stopped (connection refused)
 * and frozen with SIGSTOP (connections accepted, never answered). The service must answer 503
 * within its configured timeout, stay up, and serve again once they are back, without a restart.
 */
const testbed = process.env.TESTBED === '1';
const describeOnTestbed = testbed ? describe : describe.skip;
const KUBE_TIMEOUT_MS = 2_000;
const PROM_TIMEOUT_MS = 2_000;
const SLACK_MS = 1_500;

function pidOf(component: 'apiserver' | 'prometheus'): number {
  return Number(readFileSync(join(process.env.TESTBED_DIR!, 'run', `${component}.pid`), 'utf8').trim());
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

describeOnTestbed('faults on the test bed', () => {
  let service: RunningService;
  const vsList = '/api/v1/istio/virtual-services?namespace=payments';
  const rps = '/api/v1/istio/metrics/rps?service=payment-service&namespace=payments&range=30m';

  beforeAll(async () => {
    service = await startService({
      KUBERNETES_TIMEOUT_MS: String(KUBE_TIMEOUT_MS),
      KUBERNETES_LIVENESS_WINDOW_MS: String(LIVENESS_WINDOW_MS),
      PROMETHEUS_TIMEOUT_MS: String(PROM_TIMEOUT_MS),
      PROMETHEUS_CACHE_TTL_MS: '0',
    });
    expect((await service.request(vsList)).status).toBe(200);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('kube-apiserver stopped: 503 quickly, then recovery without restarting the service', async () => {
    testbedCtl('stop', 'apiserver');
    try {
      for (const path of [vsList, '/api/v1/istio/status', '/api/v1/istio/virtual-services/payments/payment-service']) {
        const { result, ms } = await timed(() => service.request(path));
        expect(result.status).toBe(503);
        expect(result.body.code).toBe('KUBERNETES_UNAVAILABLE');
        expect(JSON.stringify(result.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
        expect(ms).toBeLessThan(KUBE_TIMEOUT_MS + SLACK_MS);
      }
    } finally {
      testbedCtl('start', 'apiserver');
    }
    await eventually(async () => (await service.request(vsList)).status === 200);
    expect((await service.request('/api/v1/istio/status')).body.installed).toBe(true);
  });

  it('kube-apiserver frozen (accepts, never answers): 503 after the configured timeout, no hang', async () => {
    const pid = pidOf('apiserver');
    process.kill(pid, 'SIGSTOP');
    try {
      // Past the liveness window, a cached answer is no longer vouched for.
      await sleep(LIVENESS_WINDOW_MS + 50);
      const { result, ms } = await timed(() => service.request(vsList));
      expect(result.status).toBe(503);
      expect(result.body.message).toContain(`did not answer within ${KUBE_TIMEOUT_MS} ms`);
      expect(ms).toBeGreaterThanOrEqual(KUBE_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(KUBE_TIMEOUT_MS + SLACK_MS);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await eventually(async () => (await service.request(vsList)).status === 200);
  });

  it('Prometheus stopped: metrics answer 503, then recover', async () => {
    expect((await service.request(rps)).status).toBe(200);
    testbedCtl('stop', 'prometheus');
    try {
      const { result, ms } = await timed(() => service.request(rps));
      expect(result.status).toBe(503);
      expect(result.body.code).toBe('PROMETHEUS_UNAVAILABLE');
      expect(ms).toBeLessThan(PROM_TIMEOUT_MS + SLACK_MS);
      // Kubernetes-backed endpoints are unaffected.
      expect((await service.request(vsList)).status).toBe(200);
    } finally {
      testbedCtl('start', 'prometheus');
    }
    await eventually(async () => (await service.request(rps)).status === 200);
  });

  it('Prometheus frozen: metrics answer 503 after the configured timeout', async () => {
    const pid = pidOf('prometheus');
    process.kill(pid, 'SIGSTOP');
    try {
      const { result, ms } = await timed(() => service.request(rps));
      expect(result.status).toBe(503);
      expect(result.body.code).toBe('PROMETHEUS_UNAVAILABLE');
      expect(ms).toBeGreaterThanOrEqual(PROM_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(PROM_TIMEOUT_MS + SLACK_MS);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await eventually(async () => (await service.request(rps)).status === 200);
  });
});

if (!testbed) {
  // Keeps Jest from failing an empty file when the suite runs against a kind cluster.
  it('fault tests need the local test bed (TESTBED=1); skipped against external clusters', () => {
    expect(testbed).toBe(false);
  });
}
