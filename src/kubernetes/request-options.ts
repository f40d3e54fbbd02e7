import type { ConfigurationOptions, RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/** Long enough to reuse connections across requests; short enough that rotated TLS material (CA, client certificate) is picked up. */
const DISPATCHER_MAX_AGE_MS = 5 * 60_000;

/**
 * client-node 2.0.1 builds a new undici Agent for every request (KubeConfig.applySecurityAuthentication),
 * so every call opens a new TCP + TLS connection: about 6 ms per call on loopback instead of under 1 ms
 * over a kept-alive one. One client keeps the first Agent it sees and gives it to the following
 * requests. Credentials are still applied per request (headers), so refreshed tokens work as before;
 * the Agent (CA, client certificate) is replaced after DISPATCHER_MAX_AGE_MS. A replaced Agent is
 * dropped, not closed (requests may still be using it); undici closes its idle sockets after a few seconds.
 */
export class SharedDispatcher {
  private current?: { dispatcher: Dispatcher; since: number };

  constructor(private readonly maxAgeMs = DISPATCHER_MAX_AGE_MS) {}

  /** The dispatcher to use for a request, given the one client-node just built for it. */
  use(fresh: Dispatcher | undefined): Dispatcher | undefined {
    // No TLS options: client-node uses undici's global dispatcher, which already pools connections.
    if (!fresh) return undefined;
    const now = Date.now();
    const current = this.current;
    if (current && now - current.since < this.maxAgeMs && !isClosed(current.dispatcher)) return current.dispatcher;
    this.current = { dispatcher: fresh, since: now };
    return fresh;
  }

  /** On shutdown: finishes in-flight requests, then closes the kept connections. */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.dispatcher.close().catch(() => undefined);
  }
}

function isClosed(dispatcher: Dispatcher): boolean {
  const state = dispatcher as unknown as { closed?: boolean; destroyed?: boolean };
  return state.closed === true || state.destroyed === true;
}

/**
 * client-node has no timeout option; an AbortSignal per request bounds every call. Its object-style
 * APIs take "observable" middleware whose stub type the package does not export, so this builds a
 * structurally identical one (promise, toPromise, pipe) around an already-resolved value.
 */
function resolved<T>(value: T) {
  const observable = {
    promise: Promise.resolve(value),
    toPromise: () => observable.promise,
    pipe: <R>(next: (input: T) => R) => resolved(next(value)),
  };
  return observable;
}

/**
 * Options for every client-node call of one client: a per-call timeout and the shared connection
 * pool. NOTE: object-param APIs take (param, options); options passed as the first argument are
 * silently ignored.
 */
export function requestOptions(timeoutMs: number, dispatcher: SharedDispatcher): ConfigurationOptions {
  const middleware = {
    pre: (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      const shared = dispatcher.use(context.getDispatcher());
      if (shared) context.setDispatcher(shared);
      return resolved(context);
    },
    post: <T>(context: T) => resolved(context),
  };
  return { middleware: [middleware as never], middlewareMergeStrategy: 'append' };
}

/** Bounds a wait that has no AbortSignal of its own; rejects like an aborted request would. */
export function withinTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
