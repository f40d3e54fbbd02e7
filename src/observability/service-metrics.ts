import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export type Upstream = 'kubernetes' | 'prometheus';

/**
 * The service's own Prometheus metrics (what operators scrape at GET /metrics). One registry per
 * app instance, so several apps in one process (tests) do not collide on metric names.
 */
@Injectable()
export class ServiceMetrics {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'istio_api_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'istio_api_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly upstreamDuration = new Histogram({
    name: 'istio_api_upstream_request_duration_seconds',
    help: 'Calls to Kubernetes and Prometheus, by upstream, operation and outcome (ok or an error code)',
    labelNames: ['upstream', 'operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'istio_api_' });
  }

  /** `route` is the route template (e.g. /api/v1/istio/virtual-services/:namespace/:name), never the raw URL, to bound cardinality. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  observeUpstream(upstream: Upstream, operation: string, outcome: string, seconds: number): void {
    this.upstreamDuration.observe({ upstream, operation, outcome }, seconds);
  }

  /** Times `run` and records it; `outcome` is "ok" or the ApiError code it failed with. */
  async timeUpstream<T>(upstream: Upstream, operation: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await run();
      this.observeUpstream(upstream, operation, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      this.observeUpstream(upstream, operation, typeof code === 'string' ? code : 'error', (performance.now() - started) / 1000);
      throw error;
    }
  }
}
