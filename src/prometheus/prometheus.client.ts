import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { ApiError } from '../common/api-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { interpretResponse, parseMatrix, parseVector, type Sample, type TimeSeries, unexpectedResponse } from './prometheus.response.js';
import { SingleFlightCache } from './single-flight.cache.js';
import { ServiceMetrics } from '../observability/service-metrics.js';

export interface RangeQuery {
  query: string;
  /** Unix seconds. */
  start: number;
  end: number;
  /** Seconds. */
  step: number;
}

/** Upper bound of an answer; ~120 points x a few series is a few kB. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** undici's own timeouts, and the AbortSignal's (DOMException names). */
const TIMEOUT_ERRORS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'TimeoutError', 'AbortError']);

/** The error's code (undici's, or the system error's behind it) or else its name, for logs and mapping. */
function failureOf(error: unknown): string {
  const { code, name, cause } = (error ?? {}) as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  // A DOMException (the AbortSignal's TimeoutError) has a numeric legacy `code`: its name says more.
  for (const candidate of [code, cause?.code, name]) if (typeof candidate === 'string') return candidate;
  return 'unknown';
}

/**
 * The only code that talks HTTP to Prometheus (or a Thanos/Mimir query frontend) at PROMETHEUS_URL.
 * Queries go as POST form bodies (no length limit, not in access logs) with the configured
 * credentials and extra headers, each bounded by PROMETHEUS_TIMEOUT_MS. Identical requests are
 * sent once while in flight and their parsed results reused for PROMETHEUS_CACHE_TTL_MS, so many
 * portal users watching one service cost Prometheus one query per step.
 */
@Injectable()
export class PrometheusClient implements OnApplicationShutdown {
  private readonly logger = new Logger('PrometheusClient');
  private readonly cache: SingleFlightCache<object>;
  private readonly headers: Record<string, string>;
  /**
   * undici, the HTTP client @kubernetes/client-node already uses: kept-alive connections, a bound on
   * the answer's size, and no proxy from HTTP(S)_PROXY (undici reads none unless told to).
   */
  private readonly agent: Agent;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {
    const { bearerToken, username, password, headers, cacheTtlMs, timeoutMs } = config.prometheus;
    this.cache = new SingleFlightCache(cacheTtlMs);
    this.agent = new Agent({ maxResponseSize: MAX_RESPONSE_BYTES, connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    // Bearer wins over basic auth when both are set; configured headers are sent as given otherwise.
    const authorization = bearerToken
      ? `Bearer ${bearerToken}`
      : username !== undefined
        ? `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`
        : undefined;
    this.headers = {
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
      ...(authorization ? { authorization } : {}),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
  }

  /** Whether PROMETHEUS_URL is set. */
  get configured(): boolean {
    return this.config.prometheus.url !== undefined;
  }

  /** A range query (/api/v1/query_range); NaN/Inf points are dropped. */
  async queryRange(request: RangeQuery): Promise<readonly TimeSeries[]> {
    const form = { query: request.query, start: String(request.start), end: String(request.end), step: String(request.step) };
    return this.cached('/api/v1/query_range', form, parseMatrix);
  }

  /** An instant query (/api/v1/query) at `time` (Unix seconds); NaN/Inf samples are dropped. */
  async query(query: string, time: number): Promise<readonly Sample[]> {
    return this.cached('/api/v1/query', { query, time: String(time) }, parseVector);
  }

  /** For readiness checks: a trivial query answered within the timeout. Never throws; never cached. */
  async isReachable(): Promise<boolean> {
    if (!this.configured) return false;
    try {
      parseVector(await this.post('/api/v1/query', new URLSearchParams({ query: 'vector(1)' }).toString()));
      return true;
    } catch {
      return false;
    }
  }

  private cached<T extends object>(path: string, form: Record<string, string>, parse: (data: unknown) => T): Promise<T> {
    // The key is cheaper to build than the form body (URL-encoding was ~4% of a cached request's CPU), which only a miss needs.
    const key = `${path}\n${JSON.stringify(form)}`;
    return this.cache.get(key, () =>
      this.metrics.timeUpstream('prometheus', path, async () => parse(await this.post(path, new URLSearchParams(form).toString()))),
    ) as Promise<T>;
  }

  private async post(path: string, body: string): Promise<unknown> {
    const base = this.config.prometheus.url;
    if (base === undefined) {
      throw new ApiError('PROMETHEUS_NOT_CONFIGURED', 'Metrics need Prometheus: PROMETHEUS_URL is not set on this service');
    }
    const timeout = this.config.prometheus.timeoutMs;
    let status: number;
    let text: string;
    try {
      const response = await request(`${base}${path}`, {
        method: 'POST',
        body,
        headers: this.headers,
        dispatcher: this.agent,
        // undici's timeouts bound each phase; the signal bounds the whole exchange (a server that trickles bytes).
        signal: AbortSignal.timeout(timeout),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const failure = failureOf(error);
      this.logger.warn({ msg: 'Prometheus request failed', path, code: failure });
      if (failure === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') unexpectedResponse();
      throw new ApiError('PROMETHEUS_UNAVAILABLE', TIMEOUT_ERRORS.has(failure) ? `Prometheus did not answer within ${timeout} ms` : 'Prometheus is unreachable');
    }
    return interpretResponse(status, text, (failure) => this.logger.warn({ msg: 'Prometheus query failed', path, ...failure }));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
