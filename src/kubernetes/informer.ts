import { ObjectStore } from './object-store.js';
import type { IstioObject } from './kubernetes.types.js';

/** One page of a cluster-wide list. All pages of one list share the snapshot's resourceVersion. */
export interface ListPage {
  items: IstioObject[];
  resourceVersion: string;
  continueToken?: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  object: unknown;
}

/** How an Informer reaches the API server; a seam so the cache logic is tested without one. */
export interface InformerSource {
  /** One page of the cluster-wide list (objects already normalized). */
  list(continueToken: string | undefined): Promise<ListPage>;
  /**
   * Opens a watch from `resourceVersion` (with bookmarks). Resolves once the server has accepted
   * it, or once it failed, in which case `onDone` has already been called. The returned function
   * ends the watch. `onDone` is called once, when the stream ends, with the error if any.
   */
  watch(resourceVersion: string, onEvent: (event: WatchEvent) => void, onDone: (error: unknown) => void): Promise<() => void>;
  /** Normalizes an object from a watch event like list items. */
  normalize(object: IstioObject): IstioObject;
}

export type InformerState =
  /** Not started: nobody asked yet. */
  | 'idle'
  /** Listing; the cache is not served. */
  | 'listing'
  /** Synced and the watch is connected: the cache may be served. */
  | 'watching'
  /** The watch ended normally (server timeout) or failed; reconnecting from the last resourceVersion. */
  | 'reconnecting'
  /** Not used until `retryDisabledAfterMs` passed: RBAC refuses a cluster-wide list/watch, the type is not served, or there are too many objects. */
  | 'disabled'
  | 'stopped';

export interface InformerOptions {
  /** Memory bound: with more objects than this the cache is dropped and reads go to the API server. */
  maxObjects: number;
  /** Reconnect/relist backoff after failures: initial delay, doubled per failure up to the maximum (with jitter). */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A disabled informer is tried again on first use after this long. */
  retryDisabledAfterMs: number;
  now?: () => number;
  onStateChange?: (state: InformerState, detail?: string) => void;
}

export const DEFAULT_INFORMER_OPTIONS: InformerOptions = {
  maxObjects: 10_000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  retryDisabledAfterMs: 5 * 60_000,
};

function statusOf(error: unknown): number | undefined {
  const candidate = error as { code?: unknown; statusCode?: unknown } | undefined;
  const status = candidate?.statusCode ?? candidate?.code;
  return typeof status === 'number' ? status : undefined;
}

function isTimeout(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'TimeoutError';
}

/**
 * A watch-backed cache of one resource type across all namespaces (list, then watch from the
 * list's resourceVersion with bookmarks). It is "synced" only while its watch is connected after a
 * complete list; callers read from it only then and otherwise go to the API server. It relists when
 * the server answers 410 Gone (resourceVersion too old), reconnects from the last resourceVersion
 * when a watch ends, and backs off exponentially while the API server is unreachable. RBAC refusal
 * of the cluster-wide list (403/401), an unserved type (404) or more than `maxObjects` objects
 * disable it (reads go to the API server) until `retryDisabledAfterMs` has passed.
 */
export class Informer {
  private readonly store = new ObjectStore();
  private readonly options: InformerOptions;
  private currentState: InformerState = 'idle';
  private resourceVersion = '';
  /** Bumped whenever a run is abandoned, so late callbacks of an old list/watch are ignored. */
  private generation = 0;
  private failures = 0;
  private disabledAt = 0;
  private relistNeeded = false;
  private stopWatch?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: InformerSource,
    options: Partial<InformerOptions> = {},
  ) {
    this.options = { ...DEFAULT_INFORMER_OPTIONS, ...options };
  }

  get state(): InformerState {
    return this.currentState;
  }

  /** Whether reads may be served from the cache (complete list + connected watch). */
  get synced(): boolean {
    return this.currentState === 'watching';
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts on first use; a disabled informer starts again once its retry delay has passed. */
  ensureStarted(): void {
    if (this.currentState === 'disabled' && this.now() - this.disabledAt >= this.options.retryDisabledAfterMs) {
      this.currentState = 'idle';
    }
    if (this.currentState === 'idle') void this.relist(++this.generation);
  }

  /** The namespace's objects from the cache (a frozen snapshot, sorted by name). Only meaningful while synced. */
  list(namespace: string): readonly IstioObject[] {
    return this.store.list(namespace);
  }

  /** Drops the cache and stops using it until the retry delay has passed (e.g. RBAC now refuses it). */
  disable(reason: string): void {
    if (this.currentState === 'stopped') return;
    this.abandon();
    this.disabledAt = this.now();
    this.setState('disabled', reason);
  }

  stop(): void {
    this.abandon();
    this.setState('stopped');
  }

  private abandon(): void {
    this.generation++;
    this.stopWatch?.();
    this.stopWatch = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.store.clear();
    this.resourceVersion = '';
    this.relistNeeded = false;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private setState(state: InformerState, detail?: string): void {
    if (state === this.currentState && detail === undefined) return;
    this.currentState = state;
    this.options.onStateChange?.(state, detail);
  }

  private async relist(generation: number): Promise<void> {
    this.setState('listing');
    const items: IstioObject[] = [];
    let resourceVersion = '';
    try {
      let continueToken: string | undefined;
      do {
        const page = await this.source.list(continueToken);
        if (generation !== this.generation) return;
        resourceVersion ||= page.resourceVersion;
        items.push(...page.items);
        if (items.length > this.options.maxObjects) {
          this.disable(`more than ${this.options.maxObjects} objects`);
          return;
        }
        continueToken = page.continueToken;
      } while (continueToken);
    } catch (error) {
      if (generation !== this.generation) return;
      const status = statusOf(error);
      if (status === 401 || status === 403) return this.disable(`cluster-wide list refused (HTTP ${status})`);
      if (status === 404) return this.disable('resource type not served');
      // 410: a continue token expired mid-list; anything else (unreachable, 5xx, timeout): try again later.
      return this.retryLater(generation, () => this.relist(generation), error);
    }
    this.store.replaceAll(items);
    this.resourceVersion = resourceVersion;
    await this.connect(generation);
  }

  private async connect(generation: number): Promise<void> {
    let ended = false;
    let events = 0;
    const started = this.now();
    const onDone = (error: unknown) => {
      if (ended) return;
      ended = true;
      if (generation !== this.generation) return;
      this.stopWatch = undefined;
      this.watchEnded(generation, error, events > 0 || this.now() - started >= 5_000);
    };
    let stop: () => void;
    try {
      stop = await this.source.watch(
        this.resourceVersion,
        (event) => {
          if (generation !== this.generation) return;
          events++;
          this.apply(event);
        },
        onDone,
      );
    } catch (error) {
      // e.g. credentials could not be obtained before the request was sent.
      return onDone(error);
    }
    if (generation !== this.generation) return stop();
    if (ended) return;
    this.stopWatch = stop;
    this.setState('watching');
  }

  private apply(event: WatchEvent): void {
    const object = event.object as IstioObject | undefined;
    if (event.type === 'ERROR') {
      // A Status object; 410 Gone means our resourceVersion is too old: list again. The server ends the stream.
      if ((object as { code?: unknown } | undefined)?.code === 410) this.relistNeeded = true;
      return;
    }
    if (!object?.metadata) return;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      this.store.upsert(this.source.normalize(object));
      if (this.store.size > this.options.maxObjects) return this.disable(`more than ${this.options.maxObjects} objects`);
    } else if (event.type === 'DELETED') {
      this.store.remove(object.metadata.namespace, object.metadata.name);
    }
    this.failures = 0;
    if (object.metadata.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
  }

  private watchEnded(generation: number, error: unknown, healthy: boolean): void {
    // 410: our resourceVersion is too old. 401/403/404: RBAC or the type changed (an open watch is
    // not re-authorized, a new one is); a list finds out which, and disables the cache if it must.
    const status = statusOf(error);
    if (this.relistNeeded || status === 410 || status === 401 || status === 403 || status === 404) {
      this.relistNeeded = false;
      void this.relist(generation);
      return;
    }
    this.setState('reconnecting');
    // A watch that ran normally and ended (server-side timeout, idle timeout) resumes at once;
    // one that failed or closed right away waits, so an unreachable server is not hammered.
    if (healthy && (!error || isTimeout(error))) {
      void this.connect(generation);
      return;
    }
    this.retryLater(generation, () => this.connect(generation), error);
  }

  private retryLater(generation: number, run: () => Promise<void>, error: unknown): void {
    const base = Math.min(this.options.backoffInitialMs * 2 ** this.failures, this.options.backoffMaxMs);
    this.failures++;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.setState('reconnecting', `${describe(error)}; retrying in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) void run();
    }, delay);
    this.timer.unref();
  }
}

function describe(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined) return `HTTP ${status}`;
  if (!error) return 'watch closed';
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return [(error as Error).name, cause].filter(Boolean).join(' ');
}
