import { LRUCache } from 'lru-cache';

/**
 * Identical concurrent loads share one promise (single flight); successful results are then
 * reused for `ttlMs` (0: not kept, but concurrent callers still share). Failures are never kept.
 * Results are shared between callers: treat them as read-only.
 */
export class SingleFlightCache<T extends object> {
  private readonly inflight = new Map<string, Promise<T>>();
  private readonly results?: LRUCache<string, T>;

  constructor(ttlMs: number, maxEntries = 500) {
    if (ttlMs > 0) this.results = new LRUCache<string, T>({ max: maxEntries, ttl: ttlMs });
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.results?.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    // load starts in a microtask, after the promise is registered: even a synchronous throw cannot
    // leave a settled entry behind.
    const promise = Promise.resolve()
      .then(load)
      .then((value) => {
        this.results?.set(key, value);
        return value;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  /** Number of loads in flight (for tests and diagnostics). */
  get pending(): number {
    return this.inflight.size;
  }
}
