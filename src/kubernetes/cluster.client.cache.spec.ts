import { KubeConfig } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError } from '../common/api-error.js';
import { ClusterClient } from './cluster.client.js';
import { VIRTUAL_SERVICES, type IstioObject } from './kubernetes.types.js';
import { eventually } from '../../test/support/wait.js';

const vs = (namespace: string, name: string, resourceVersion: string, weight = 100) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { namespace, name, resourceVersion, managedFields: [{ manager: 'kubectl' }] },
  spec: { hosts: [name], http: [{ route: [{ destination: { host: name }, weight }] }] },
});

/**
 * A tiny fake of kube-apiserver over HTTP: discovery, cluster-wide and namespaced lists of
 * VirtualServices, and a watch stream the test writes events to. It counts what it was asked.
 */
class FakeApiServer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  objects = [vs('payments', 'reviews', '5'), vs('payments', 'checkout', '6'), vs('other', 'x', '7')];
  resourceVersion = '10';
  requests: string[] = [];
  connections = 0;
  /** How the probe (cluster-wide list with limit=1) is answered. */
  probe: 'ok' | 'hang' | 403 = 'ok';
  /** How the informer's cluster-wide list is answered. */
  clusterList: 'ok' | 403 = 'ok';
  /** Whether discovery lists the Istio groups, and what /readyz says. */
  istioServed = true;
  ready = true;
  private watches: ServerResponse[] = [];
  url = '';

  constructor() {
    this.server = createServer((request, response) => this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  count(kind: string): number {
    return this.requests.filter((request) => request === kind).length;
  }

  /** Sends a watch event to every open watch. */
  emit(type: string, object: unknown): void {
    for (const watch of this.watches) watch.write(`${JSON.stringify({ type, object })}\n`);
  }

  private json(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (url.pathname === '/apis') {
      this.requests.push('discovery');
      const group = (name: string) => ({ name, versions: [{ groupVersion: `${name}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' } });
      return this.json(response, 200, { kind: 'APIGroupList', groups: this.istioServed ? [group('networking.istio.io'), group('security.istio.io')] : [group('apps')] });
    }
    if (url.pathname === '/readyz') {
      this.requests.push('readyz');
      response.writeHead(this.ready ? 200 : 500);
      response.end(this.ready ? 'ok' : '[-]poststarthook/crd-informer-synced failed');
      return;
    }
    const namespaced = /^\/apis\/networking\.istio\.io\/v1\/namespaces\/([^/]+)\/virtualservices$/.exec(url.pathname);
    if (namespaced) {
      this.requests.push('namespaced list');
      const items = this.objects.filter((object) => object.metadata.namespace === namespaced[1]).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      return this.json(response, 200, { items, metadata: { resourceVersion: this.resourceVersion } });
    }
    if (url.pathname === '/apis/networking.istio.io/v1/virtualservices') {
      if (url.searchParams.get('watch') === 'true') {
        this.requests.push('watch');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.flushHeaders();
        this.watches.push(response);
        request.on('close', () => (this.watches = this.watches.filter((watch) => watch !== response)));
        return;
      }
      if (url.searchParams.get('limit') === '1') {
        this.requests.push('probe');
        if (this.probe === 'hang') return;
        if (this.probe === 403) return this.json(response, 403, { kind: 'Status', code: 403 });
        return this.json(response, 200, { items: this.objects.slice(0, 1), metadata: { resourceVersion: this.resourceVersion } });
      }
      this.requests.push('cluster list');
      if (this.clusterList === 403) return this.json(response, 403, { kind: 'Status', code: 403 });
      return this.json(response, 200, { items: this.objects, metadata: { resourceVersion: this.resourceVersion } });
    }
    this.json(response, 404, { kind: 'Status', code: 404 });
  }
}

const names = (objects: readonly IstioObject[]) => objects.map((object) => `${object.metadata.name}@${object.metadata.resourceVersion}`);

describe('ClusterClient watch cache (fake API server over HTTP)', () => {
  const timeoutMs = 400;
  let api: FakeApiServer;
  let client: ClusterClient;

  function makeClient(watchCache: boolean, source: 'default' | 'override' = 'default'): ClusterClient {
    const kubeConfig = new KubeConfig();
    // Trusted test config (plain http needs skipTLSVerify in client-node); overrides never get here.
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: api.url, skipTLSVerify: true }, { name: 'u', token: 't' });
    return new ClusterClient(kubeConfig, { server: api.url, source }, timeoutMs, { watchCache });
  }

  /** Lists until the answer comes from the cache (the informer starts on first use). */
  async function warm(): Promise<void> {
    await client.list(VIRTUAL_SERVICES, 'payments');
    await eventually(() => api.count('watch') === 1, 3_000, 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
  });
  afterEach(async () => {
    await client?.close();
    await api.stop();
  });

  it('reads directly until synced, then from the cache: each read costs only a one-item probe', async () => {
    client = makeClient(true);
    expect(names(await client.list(VIRTUAL_SERVICES, 'payments'))).toEqual(['checkout@6', 'reviews@5']);
    expect(api.count('namespaced list')).toBe(1);
    await warm();
    const before = api.count('namespaced list');
    for (let i = 0; i < 5; i++) expect(names(await client.list(VIRTUAL_SERVICES, 'payments'))).toEqual(['checkout@6', 'reviews@5']);
    expect(api.count('namespaced list')).toBe(before);
    expect(api.count('probe')).toBe(5);
    expect(api.count('cluster list')).toBe(1);
  });

  it('cached and direct answers have the same shape (apiVersion kept, managedFields dropped)', async () => {
    client = makeClient(true);
    const direct = await client.list(VIRTUAL_SERVICES, 'payments');
    await warm();
    const cached = await client.list(VIRTUAL_SERVICES, 'payments');
    expect(cached).toEqual(direct);
    expect(cached[0]!.metadata).not.toHaveProperty('managedFields');
    expect(Object.isFrozen(cached[0])).toBe(true);
  });

  it('a change from the watch is in the next read; deletes and new namespaces too', async () => {
    client = makeClient(true);
    await warm();
    api.emit('MODIFIED', vs('payments', 'reviews', '11', 40));
    api.emit('DELETED', vs('payments', 'checkout', '12'));
    api.emit('ADDED', vs('brand-new', 'fresh', '13'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(names(await client.list(VIRTUAL_SERVICES, 'payments'))).toEqual(['reviews@11']);
    expect(names(await client.list(VIRTUAL_SERVICES, 'brand-new'))).toEqual(['fresh@13']);
  });

  it('an API server that accepts but never answers the probe gives 503 after the timeout, not cached data', async () => {
    client = makeClient(true);
    await warm();
    api.probe = 'hang';
    const started = performance.now();
    const error = await client.list(VIRTUAL_SERVICES, 'payments').catch((caught: unknown) => caught);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('KUBERNETES_UNAVAILABLE');
    expect((error as ApiError).message).toBe(`The Kubernetes API did not answer within ${timeoutMs} ms (list virtualservices in namespace payments)`);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(elapsed).toBeLessThan(timeoutMs + 1_000);
  });

  it('a probe refused by RBAC stops the cache: the caller gets a direct read, later reads stay direct', async () => {
    client = makeClient(true);
    await warm();
    api.probe = 403;
    const directBefore = api.count('namespaced list');
    expect(names(await client.list(VIRTUAL_SERVICES, 'payments'))).toEqual(['checkout@6', 'reviews@5']);
    expect(api.count('namespaced list')).toBe(directBefore + 1);
    const probes = api.count('probe');
    await client.list(VIRTUAL_SERVICES, 'payments');
    expect(api.count('probe')).toBe(probes);
    expect(api.count('namespaced list')).toBe(directBefore + 2);
  });

  it('without a cluster-wide list permission it reads directly and does not watch', async () => {
    api.clusterList = 403;
    client = makeClient(true);
    await client.list(VIRTUAL_SERVICES, 'payments');
    await eventually(() => api.count('cluster list') === 1, 3_000, 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(names(await client.list(VIRTUAL_SERVICES, 'payments'))).toEqual(['checkout@6', 'reviews@5']);
    expect(api.count('watch')).toBe(0);
    expect(api.count('namespaced list')).toBe(2);
    expect(api.count('cluster list')).toBe(1);
  });

  it('a client without the cache (overrides) always reads directly', async () => {
    client = makeClient(false, 'override');
    for (let i = 0; i < 3; i++) await client.list(VIRTUAL_SERVICES, 'payments');
    expect(api.count('namespaced list')).toBe(3);
    expect(api.requests).not.toContain('watch');
    expect(api.requests).not.toContain('cluster list');
  });

  it('reuses one connection for consecutive requests (client-node alone opens one per request)', async () => {
    client = makeClient(false);
    for (let i = 0; i < 5; i++) await client.list(VIRTUAL_SERVICES, 'payments');
    // discovery + 5 lists over kept-alive connections (undici may alternate between two)
    expect(api.requests).toHaveLength(6);
    expect(api.connections).toBeLessThanOrEqual(2);
  });

  it('close() ends the watch', async () => {
    client = makeClient(true);
    await warm();
    expect(api.sockets.size).toBeGreaterThan(0);
    await client.close();
    await eventually(() => api['watches'].length === 0, 3_000, 5);
  });
});

describe('ClusterClient discovery of the Istio API groups (fake API server over HTTP)', () => {
  let api: FakeApiServer;
  let client: ClusterClient;

  beforeEach(async () => {
    api = new FakeApiServer();
    await api.start();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: api.url, skipTLSVerify: true }, { name: 'u', token: 't' });
    client = new ClusterClient(kubeConfig, { server: api.url, source: 'default' }, 1_000);
  });
  afterEach(async () => {
    await client.close();
    await api.stop();
  });

  const failure = (run: Promise<unknown>) => run.then(() => undefined, (error: unknown) => error as ApiError);

  it('a starting API server (Istio groups not registered yet, /readyz failing) gives 503, not "Istio is not installed"', async () => {
    api.istioServed = false;
    api.ready = false;
    const error = await failure(client.list(VIRTUAL_SERVICES, 'payments'));
    expect(error).toMatchObject({ code: 'KUBERNETES_UNAVAILABLE', message: expect.stringContaining('not ready yet') });
    // Nothing wrong is kept: the next call after the groups appear succeeds.
    api.istioServed = true;
    api.ready = true;
    expect(names(await client.list(VIRTUAL_SERVICES, 'payments'))).toEqual(['checkout@6', 'reviews@5']);
  });

  it('a ready API server without the Istio groups: 404 ISTIO_NOT_INSTALLED, re-checked after a second, not after 30 s', async () => {
    api.istioServed = false;
    expect(await failure(client.list(VIRTUAL_SERVICES, 'payments'))).toMatchObject({ code: 'ISTIO_NOT_INSTALLED' });
    expect(await failure(client.list(VIRTUAL_SERVICES, 'payments'))).toMatchObject({ code: 'ISTIO_NOT_INSTALLED' });
    expect(api.count('discovery')).toBe(1);
    api.istioServed = true;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(names(await client.list(VIRTUAL_SERVICES, 'payments'))).toEqual(['checkout@6', 'reviews@5']);
  });

  it('a complete discovery is kept (no readiness check, one discovery for many calls)', async () => {
    for (let i = 0; i < 5; i++) await client.apiGroups();
    expect(api.count('discovery')).toBe(1);
    expect(api.count('readyz')).toBe(0);
  });
});
