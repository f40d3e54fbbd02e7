import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Prometheus faked at the HTTP level for HTTP-level tests: a loopback server that records every
 * request (method, path, headers, form body) and answers what `reply` says: canned JSON, raw
 * text, or never (to exercise timeouts).
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

export type Reply = { status?: number; json: unknown; delayMs?: number } | { status: number; text: string } | 'hang';

export class FakePrometheus {
  readonly requests: RecordedRequest[] = [];
  /** Decides the answer to each request; defaults to an empty success of the right result type. */
  reply: (request: RecordedRequest) => Reply = defaultReply;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakePrometheus> {
    let fake: FakePrometheus | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const recorded: RecordedRequest = {
          method: req.method ?? '',
          path: url.pathname,
          headers: req.headers,
          form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
        };
        fake!.requests.push(recorded);
        const reply = fake!.reply(recorded);
        if (reply === 'hang') return;
        const send = () => {
          if ('text' in reply) {
            res.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.text);
          } else {
            res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(reply.json));
          }
        };
        const delay = 'json' in reply ? (reply.delayMs ?? 0) : 0;
        if (delay > 0) setTimeout(send, delay);
        else send();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakePrometheus(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** Requests to the query APIs only (what the endpoints send). */
  queries(): RecordedRequest[] {
    return this.requests.filter((request) => request.path.startsWith('/api/v1/query'));
  }

  reset(): void {
    this.requests.length = 0;
    this.reply = defaultReply;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const success = (data: unknown) => ({ status: 'success', data });

export const matrix = (...series: Array<{ metric?: Record<string, string>; values: Array<[number, string]> }>) =>
  success({ resultType: 'matrix', result: series.map((item) => ({ metric: item.metric ?? {}, values: item.values })) });

export const vector = (...samples: Array<{ metric: Record<string, string>; value: string; time?: number }>) =>
  success({ resultType: 'vector', result: samples.map((item) => ({ metric: item.metric, value: [item.time ?? 1_700_000_000, item.value] })) });

export const prometheusError = (errorType: string, error: string) => ({ status: 'error', errorType, error });

function defaultReply(request: RecordedRequest): Reply {
  return { json: request.path.endsWith('query_range') ? matrix() : vector() };
}
