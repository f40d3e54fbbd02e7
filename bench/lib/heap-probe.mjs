// Benchmark instrumentation, preloaded (node --import) into a service process for the leak scenario
// only, never into the service as deployed. On SIGUSR2 it runs full garbage collections and writes
// the heap in use after them to $HEAP_PROBE_FILE: that is the live set, the figure a leak grows.
// RSS and prom-client's heap figure also count garbage and V8's lazily grown heap.
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  writeFileSync(process.env.HEAP_PROBE_FILE, JSON.stringify({ at: Date.now(), heapUsed, rss }));
});
