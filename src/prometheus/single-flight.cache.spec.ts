import { jest } from '@jest/globals';
import { SingleFlightCache } from './single-flight.cache.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('SingleFlightCache', () => {
  it('runs one load for concurrent identical keys and gives all callers its result', async () => {
    const cache = new SingleFlightCache<{ n: number }>(0);
    const gate = deferred<{ n: number }>();
    const load = jest.fn(() => gate.promise);
    const calls = Array.from({ length: 100 }, () => cache.get('k', load));
    expect(cache.pending).toBe(1);
    gate.resolve({ n: 1 });
    const results = await Promise.all(calls);
    expect(load).toHaveBeenCalledTimes(1);
    expect(new Set(results).size).toBe(1);
    expect(cache.pending).toBe(0);
  });

  it('loads different keys separately', async () => {
    const cache = new SingleFlightCache<{ key: string }>(1000);
    const load = jest.fn(async () => ({ key: 'x' }));
    await Promise.all([cache.get('a', load), cache.get('b', load)]);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('reuses a result within the TTL and loads again after it', async () => {
    // lru-cache reads performance.now(), so real (short) time is simpler than fake timers.
    const cache = new SingleFlightCache<{ n: number }>(100);
    let n = 0;
    const load = jest.fn(async () => ({ n: ++n }));
    expect(await cache.get('k', load)).toEqual({ n: 1 });
    expect(await cache.get('k', load)).toEqual({ n: 1 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await cache.get('k', load)).toEqual({ n: 2 });
  });

  it('keeps nothing with TTL 0', async () => {
    const cache = new SingleFlightCache<{ n: number }>(0);
    const load = jest.fn(async () => ({ n: 1 }));
    await cache.get('k', load);
    await cache.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('shares a failure with concurrent callers but never keeps it', async () => {
    const cache = new SingleFlightCache<{ n: number }>(5000);
    const gate = deferred<{ n: number }>();
    const failing = jest.fn(() => gate.promise);
    const calls = [cache.get('k', failing), cache.get('k', failing)];
    gate.reject(new Error('down'));
    for (const call of calls) await expect(call).rejects.toThrow('down');
    expect(failing).toHaveBeenCalledTimes(1);
    expect(await cache.get('k', async () => ({ n: 2 }))).toEqual({ n: 2 });
  });

  it('survives a load that throws synchronously', async () => {
    const cache = new SingleFlightCache<{ n: number }>(5000);
    await expect(
      cache.get('k', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(cache.pending).toBe(0);
    expect(await cache.get('k', async () => ({ n: 3 }))).toEqual({ n: 3 });
  });
});
