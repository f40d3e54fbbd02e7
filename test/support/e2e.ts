import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { signToken } from './test-app.js';

/**
 * The KUBERNETES_LIVENESS_WINDOW_MS the fault tests give the service: cached reads are served for
 * at most this long after the API server's last answer, so a freeze shows as 503 only after it.
 */
export const LIVENESS_WINDOW_MS = 250;

/**
 * The e2e suite runs the real service (all real providers) on a loopback port against whatever
 * KUBECONFIG_PATH and PROMETHEUS_URL point at: the project's test bed (testbed/up.sh writes
 * .testbed/env) or a kind cluster with Istio. Telemetry values are asserted only when
 * TESTBED_TELEMETRY_FIXTURE says which values were seeded.
 */
export interface E2eEnv {
  kubeconfigPath: string;
  prometheusUrl?: string;
  jwtSecret: string;
  /** Set by the project's own test bed only. */
  testbed: boolean;
  restrictedKubeconfig?: string;
  telemetryFixture?: string;
  testbedDir?: string;
}

export function e2eEnv(): E2eEnv {
  const kubeconfigPath = process.env.KUBECONFIG_PATH;
  if (!kubeconfigPath) throw new Error('e2e tests need KUBECONFIG_PATH (run `npm test`, which starts the test bed, or point it at a kind cluster)');
  return {
    kubeconfigPath,
    prometheusUrl: process.env.PROMETHEUS_URL,
    jwtSecret: process.env.JWT_SECRET ?? 'e2e-secret-that-is-long-enough-for-hs256-0123456789',
    testbed: process.env.TESTBED === '1',
    restrictedKubeconfig: process.env.TESTBED_RESTRICTED_KUBECONFIG,
    telemetryFixture: process.env.TESTBED_TELEMETRY_FIXTURE,
    testbedDir: process.env.TESTBED_DIR,
  };
}

export interface RunningService {
  app: NestFastifyApplication;
  baseUrl: string;
  env: E2eEnv;
  token(roles?: string[], sub?: string): string;
  /** fetch against the service with a bearer token (admin by default). */
  request(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startService(extraEnv: Record<string, string> = {}): Promise<RunningService> {
  const env = e2eEnv();
  const config = loadConfig({
    ...process.env,
    JWT_SECRET: env.jwtSecret,
    KUBECONFIG_PATH: env.kubeconfigPath,
    PROMETHEUS_URL: env.prometheusUrl,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '0',
    ...extraEnv,
  });
  const app = await createApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const token = (roles: string[] = ['admin'], sub = 'e2e-admin') => signToken({ sub, roles }, { secret: env.jwtSecret });
  return {
    app,
    baseUrl,
    env,
    token,
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      const bearer = init.token === undefined ? token() : init.token;
      if (bearer !== null) headers.set('authorization', `Bearer ${bearer}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(init.json);
      }
      const response = await fetch(`${baseUrl}${path}`, { ...init, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep text */
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    close: () => app.close(),
  };
}
