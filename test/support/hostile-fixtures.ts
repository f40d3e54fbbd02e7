import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type RunningService } from './e2e.js';
import { Kube } from './kube.js';

/**
 * Helpers for the hostile-input, concurrency and fault e2e suites: upstream listeners that record
 * everything they receive, tripwires that prove no command ran and no file was opened, raw HTTP
 * requests whose paths are sent exactly as written, and Prometheus' own request counters.
 */

/** A self-signed certificate for 127.0.0.1 (its own CA), made with openssl at test time. */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'istio-api-hostile-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * An upstream that answers every request with a Kubernetes-style 401 and records it. `connections`
 * counts TCP connections, so even a TLS handshake that went nowhere (or a CONNECT through it as a
 * proxy) is seen.
 */
export interface Recorder {
  url: string;
  origin: string;
  requests: RecordedRequest[];
  connections: number;
  close(): Promise<void>;
}

export async function startRecorder(tls?: { cert: string; key: string }): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  const state = { connections: 0 };
  server.on('connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A proxy client sends CONNECT; record it too.
  server.on('connect', (req, socket: Socket) => {
    requests.push({ method: req.method ?? 'CONNECT', url: req.url ?? '', headers: req.headers });
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url: origin,
    origin,
    requests,
    get connections() {
      return state.connections;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Markers and file tripwires in a private directory. `marker(name)` is a path a hostile command
 * would create; `fifo(name, secret)` is a named pipe with a blocked writer: if anything opens the
 * pipe for reading, the writer hands over the secret and then creates `<name>.opened`. So an empty
 * `triggered()` proves that no command ran and no tripwire file was opened.
 */
export class Tripwires {
  readonly dir = mkdtempSync(join(tmpdir(), 'istio-api-hostile-markers-'));
  private readonly writers: ChildProcess[] = [];

  marker(name: string): string {
    return join(this.dir, `${name}.ran`);
  }

  /** A regular file holding `secret` (the realistic target: a service-account token). */
  file(name: string, secret: string): string {
    const path = join(this.dir, `${name}.file`);
    writeFileSync(path, secret, { mode: 0o600 });
    return path;
  }

  fifo(name: string, secret: string): string {
    const path = join(this.dir, `${name}.fifo`);
    execFileSync('mkfifo', [path]);
    const opened = join(this.dir, `${name}.opened`);
    // The shell blocks in open(O_WRONLY) until a reader appears.
    const writer = spawn('sh', ['-c', 'printf %s "$1" > "$2" && touch "$3"', 'tripwire', secret, path, opened], { stdio: 'ignore' });
    writer.on('error', () => undefined);
    this.writers.push(writer);
    return path;
  }

  /** Every marker or opened-tripwire file (should be none). */
  triggered(): string[] {
    return readdirSync(this.dir).filter((name) => name.endsWith('.ran') || name.endsWith('.opened'));
  }

  /** Writers still blocked (all of them, if no tripwire was opened). */
  blockedWriters(): number {
    return this.writers.filter((writer) => writer.exitCode === null && writer.signalCode === null).length;
  }

  close(): void {
    for (const writer of this.writers) if (writer.pid && writer.exitCode === null) writer.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One HTTP request with the path sent byte for byte (fetch would resolve `..`, `%2e%2e` and
 * friends before sending), with a client-side timeout.
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean; timeoutMs?: number },
): Promise<{ status: number; body: any; text: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: options.method ?? 'GET', path: options.path, headers: options.headers, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        // Without Content-Length: the limit must hold while streaming.
        const body = Buffer.from(options.body);
        for (let offset = 0; offset < body.length; offset += 1024) req.write(body.subarray(offset, offset + 1024));
      } else {
        req.write(options.body);
      }
    }
    req.end();
  });
}

/** Prometheus' own count of requests to one of its API handlers (from its /metrics, not via a query). */
export async function prometheusHandlerCount(prometheusUrl: string, handler: string): Promise<number> {
  const text = await (await fetch(`${prometheusUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('prometheus_http_requests_total{') && line.includes(`handler="${handler}"`)) total += Number(line.split(' ').pop());
  }
  return total;
}

/** testbed/ctl.sh without blocking the event loop (the service under test runs in this process). */
export function testbedCtlAsync(action: 'stop' | 'start', component: 'apiserver' | 'prometheus'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['testbed/ctl.sh', action, component], { stdio: ['ignore', 'ignore', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGTERM'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`testbed/ctl.sh ${action} ${component} exited with ${code}`));
    });
  });
}

export { eventually } from './wait.js';

/** The pid of a test bed component (from $TESTBED_DIR/run), e.g. to freeze it with SIGSTOP. */
export function testbedPid(component: 'apiserver' | 'prometheus'): number {
  return Number(readFileSync(join(process.env.TESTBED_DIR!, 'run', `${component}.pid`), 'utf8').trim());
}

export interface ServiceWithVirtualService {
  service: RunningService;
  kube: Kube;
  namespace: string;
  /** Deletes the namespace and stops the service. */
  close(): Promise<void>;
}

/** The real service plus a fresh namespace holding one VirtualService (app label = its name). */
export async function serviceWithVirtualService(prefix: string, name: string, spec: Record<string, unknown>, extraEnv: Record<string, string> = {}): Promise<ServiceWithVirtualService> {
  const service = await startService(extraEnv);
  const kube = new Kube(service.env.kubeconfigPath);
  const namespace = await kube.createNamespace(prefix);
  await kube.create('networking.istio.io', 'virtualservices', namespace, { metadata: { name, labels: { app: name } }, spec });
  return {
    service,
    kube,
    namespace,
    close: async () => {
      await kube.deleteNamespace(namespace);
      await service.close();
    },
  };
}
