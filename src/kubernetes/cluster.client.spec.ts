import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:net';
import { ApiError } from '../common/api-error.js';
import { ClusterClient } from './cluster.client.js';
import { VIRTUAL_SERVICES } from './kubernetes.types.js';

/** A TCP server that accepts connections and never answers: the worst kind of upstream. */
async function silentServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}` };
}

describe('ClusterClient timeouts', () => {
  let silent: { server: Server; url: string };
  const sockets = new Set<import('node:net').Socket>();
  let client: ClusterClient;
  const timeoutMs = 300;

  beforeAll(async () => {
    silent = await silentServer();
    silent.server.on('connection', (socket) => sockets.add(socket));
    const kubeConfig = new KubeConfig();
    // Trusted test config (plain http needs skipTLSVerify in client-node); overrides never get here.
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: silent.url, skipTLSVerify: true }, { name: 'u', token: 't' });
    client = new ClusterClient(kubeConfig, { server: silent.url, source: 'default' }, timeoutMs);
  });
  afterAll(() => {
    silent.server.close();
    for (const socket of sockets) socket.destroy();
  });

  async function failure(run: () => Promise<unknown>): Promise<{ error: ApiError; ms: number }> {
    const started = performance.now();
    try {
      await run();
    } catch (error) {
      return { error: error as ApiError, ms: performance.now() - started };
    }
    throw new Error('expected a failure');
  }

  it.each<[string, (c: ClusterClient) => Promise<unknown>]>([
    ['discovery', (c) => c.apiGroups()],
    ['deployments', (c) => c.listDeployments('app=istiod')],
    ['a list', (c) => c.list(VIRTUAL_SERVICES, 'payments')],
  ])('bounds %s by the configured timeout', async (_name, run) => {
    const { error, ms } = await failure(() => run(client));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('KUBERNETES_UNAVAILABLE');
    expect(error.message).toContain(`did not answer within ${timeoutMs} ms`);
    expect(ms).toBeLessThan(timeoutMs + 1_500);
  });

  it('reports each call to the observer with a bounded operation label and the error code', async () => {
    const observed: Array<[string, string]> = [];
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: silent.url, skipTLSVerify: true }, { name: 'u', token: 't' });
    const observing = new ClusterClient(kubeConfig, { server: silent.url, source: 'default' }, timeoutMs, {
      observe: (operation, outcome) => observed.push([operation, outcome]),
    });
    await failure(() => observing.listDeployments('app=istiod'));
    expect(observed).toEqual([['list Deployments', 'KUBERNETES_UNAVAILABLE']]);
    await observing.close();
  });
});
