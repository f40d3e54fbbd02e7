import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { redactUrl, rateLimitKey } from '../../src/app.factory.js';
import { ApiError } from '../../src/common/api-error.js';
import { ClusterClientFactory } from '../../src/kubernetes/cluster-client.factory.js';
import { VIRTUAL_SERVICES } from '../../src/kubernetes/kubernetes.types.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { writeDefaultKubeconfig } from '../support/fake-kubeconfig.js';
import { adminToken, buildTestApp, signToken, testConfig, viewerToken } from '../support/test-app.js';

const LIST = '/api/v1/istio/virtual-services?namespace=payments';

async function appWith(env: Record<string, string>, cluster = new FakeCluster()): Promise<NestFastifyApplication> {
  cluster.put(VIRTUAL_SERVICES, {
    metadata: { name: 'app', namespace: 'payments' },
    spec: { hosts: ['app'], http: [{ route: [{ destination: { host: 'app', subset: 'a' }, weight: 50 }, { destination: { host: 'app', subset: 'b' }, weight: 50 }] }] },
  });
  return buildTestApp(testConfig({ KUBECONFIG_PATH: writeDefaultKubeconfig(), ...env }), (builder) =>
    builder.overrideProvider(ClusterClientFactory).useValue({ create: () => cluster.asClient() }),
  );
}

describe('operational endpoints and HTTP hardening', () => {
  let app: NestFastifyApplication;
  let cluster: FakeCluster;
  beforeEach(async () => {
    cluster = new FakeCluster();
    app = await appWith({ RATE_LIMIT_PER_MINUTE: '0' }, cluster);
  });
  afterEach(() => app.close());

  it('GET /healthz answers without a token', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is up when the cluster answers (Prometheus not configured counts as up)', async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', info: { kubernetes: { status: 'up' }, prometheus: { status: 'up', configured: false } } });
  });

  it('GET /readyz answers 503 with details when the cluster is down', async () => {
    cluster.failNext('ready', new ApiError('KUBERNETES_UNAVAILABLE', 'The Kubernetes API is unreachable (discover API groups)'));
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'error', error: { kubernetes: { status: 'down', message: 'The Kubernetes API is unreachable (discover API groups)' } } });
  });

  it('GET /readyz answers 503 without echoing a kubeconfig that cannot be loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istio-api-broken-'));
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, 'users: [{name: u, user: {token: sk-SECRET-TOKEN}}]\ncurrent-context: [unclosed');
    const broken = await buildTestApp(testConfig({ KUBECONFIG_PATH: path }));
    try {
      const response = await broken.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: { kubernetes: { status: 'down', message: 'The default kubeconfig could not be loaded' } } });
      expect(response.body).not.toContain('SECRET');
    } finally {
      await broken.close();
    }
  });

  it('GET /metrics exposes request counts by route template and status', async () => {
    await app.inject({ method: 'GET', url: LIST, headers: { authorization: `Bearer ${viewerToken()}` } });
    await app.inject({ method: 'GET', url: '/api/v1/istio/virtual-services/payments/ghost', headers: { authorization: `Bearer ${viewerToken()}` } });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('istio_api_http_requests_total{method="GET",route="/api/v1/istio/virtual-services",status="200"} 1');
    expect(response.body).toContain('istio_api_http_requests_total{method="GET",route="/api/v1/istio/virtual-services/:namespace/:name",status="404"} 1');
    expect(response.body).toContain('istio_api_process_resident_memory_bytes');
    expect(response.body).not.toContain('ghost');
  });

  it('sets security headers and echoes a valid request id', async () => {
    const response = await app.inject({ method: 'GET', url: LIST, headers: { authorization: `Bearer ${viewerToken()}`, 'x-request-id': 'portal-123' } });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-request-id']).toBe('portal-123');
    const hostile = await app.inject({ method: 'GET', url: LIST, headers: { authorization: `Bearer ${viewerToken()}`, 'x-request-id': 'a b\u0007<script>' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 413 with the error shape to an oversize body, changing nothing', async () => {
    const small = await appWith({ BODY_LIMIT_BYTES: '1024' }, cluster);
    try {
      const before = structuredClone(cluster.objects.get('virtualservices/payments/app'));
      const response = await small.inject({
        method: 'PATCH',
        url: '/api/v1/istio/virtual-services/payments/app/weights',
        headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ weights: [{ destination: 'a', weight: 50 }, { destination: 'b', weight: 50 }], route: 'x'.repeat(2000) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
      expect(cluster.objects.get('virtualservices/payments/app')).toEqual(before);
    } finally {
      await small.close();
    }
  });

  it('refuses compressed request bodies with 415', async () => {
    const response = await app.inject({
      method: 'PATCH',
      url: '/api/v1/istio/virtual-services/payments/app/weights',
      headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: JSON.stringify({ weights: [{ destination: 'a', weight: 50 }, { destination: 'b', weight: 50 }] }),
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('lets in-flight requests finish on shutdown', async () => {
    const slow = new FakeCluster();
    const slowApp = await appWith({}, slow);
    const original = slow.list.bind(slow);
    slow.list = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return original(...args);
    };
    await slowApp.listen({ port: 0, host: '127.0.0.1' });
    const { port } = slowApp.getHttpServer().address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${port}${LIST}`, { headers: { authorization: `Bearer ${viewerToken()}` } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const closing = slowApp.close();
    const response = await inFlight;
    await closing;
    // Closed as soon as the request finished, not after the keep-alive timeout.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveLength(1);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe('CORS', () => {
  it('allows the configured portal origin only', async () => {
    const app = await appWith({ CORS_ORIGINS: 'https://portal.example.com' });
    try {
      const preflight = (origin: string) =>
        app.inject({ method: 'OPTIONS', url: LIST, headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-kubeconfig' } });
      const allowed = await preflight('https://portal.example.com');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.example.com');
      expect(String(allowed.headers['access-control-allow-headers'])).toContain('x-kubeconfig');
      expect((await preflight('https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});

describe('rate limiting', () => {
  it('limits each caller separately and answers 429 in the error shape', async () => {
    const app = await appWith({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const as = (sub: string) => app.inject({ method: 'GET', url: LIST, headers: { authorization: `Bearer ${signToken({ sub, roles: [] })}` } });
      for (let i = 0; i < 3; i++) expect((await as('alice')).statusCode).toBe(200);
      const limited = await as('alice');
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await as('bob')).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('keys by JWT sub, else by address', () => {
    const token = signToken({ sub: 'alice' });
    expect(rateLimitKey({ headers: { authorization: `Bearer ${token}` }, ip: '1.2.3.4' })).toMatch(/^sub:[0-9a-f]{32}$/);
    expect(rateLimitKey({ headers: { authorization: `Bearer ${signToken({ sub: 'bob' })}` }, ip: '1.2.3.4' })).not.toBe(rateLimitKey({ headers: { authorization: `Bearer ${token}` }, ip: '1.2.3.4' }));
    expect(rateLimitKey({ headers: { authorization: 'Bearer garbage' }, ip: '1.2.3.4' })).toBe('ip:1.2.3.4');
    expect(rateLimitKey({ headers: {}, ip: '1.2.3.4' })).toBe('ip:1.2.3.4');
  });
});

describe('request log redaction', () => {
  it.each([
    ['/api/v1/istio/status?kubeconfig=c2VjcmV0', '/api/v1/istio/status?kubeconfig=[REDACTED]'],
    ['/api/v1/istio/virtual-services?namespace=a&kubeconfig=c2VjcmV0&x=1', '/api/v1/istio/virtual-services?namespace=a&kubeconfig=[REDACTED]&x=1'],
    ['/api/v1/istio/status?KubeConfig=abc', '/api/v1/istio/status?KubeConfig=[REDACTED]'],
    ['/api/v1/istio/status', '/api/v1/istio/status'],
  ])('%s', (url, expected) => expect(redactUrl(url)).toBe(expected));
});
