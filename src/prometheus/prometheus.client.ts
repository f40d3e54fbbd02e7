import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
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
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);

/**
 * The only code that talks HTTP to Prometheus (or a Thanos/Mimir query frontend) at PROMETHEUS_URL.
 * Queries go as POST form bodies (no length limit, not in access logs) with the configured
 * credentials and extra headers, each bounded by PROMETHEUS_TIMEOUT_MS. Identical requests are
 * sent once while in flight and their parsed results reused for PROMETHEUS_CACHE_TTL_MS, so many
 * portal users watching one service cost Prometheus one query per step.
 */
@Injectable()
export class PrometheusClient {
  private readonly logger = new Logger('PrometheusClient');
  private readonly cache: SingleFlightCache<object>;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly http: HttpService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {
    const { bearerToken, username, password, headers, cacheTtlMs } = config.prometheus;
    this.cache = new SingleFlightCache(cacheTtlMs);
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
    let response: { status: number; data: unknown };
    try {
      response = await firstValueFrom(
        this.http.post(`${base}${path}`, body, {
          headers: this.headers,
          timeout,
          // axios' `timeout` does not bound a server that trickles bytes; the signal bounds the whole exchange.
          signal: AbortSignal.timeout(timeout),
          responseType: 'text',
          transformResponse: [(data: unknown) => data],
          validateStatus: () => true,
          maxContentLength: MAX_RESPONSE_BYTES,
          maxRedirects: 0,
          // Never route Prometheus traffic through HTTP(S)_PROXY from the environment.
          proxy: false,
        }),
      );
    } catch (error) {
      const code = isAxiosError(error) ? error.code : undefined;
      this.logger.warn({ msg: 'Prometheus request failed', path, code: code ?? (error as Error)?.name });
      // An answer larger than MAX_RESPONSE_BYTES.
      if (code === 'ERR_BAD_RESPONSE') unexpectedResponse();
      throw new ApiError(
        'PROMETHEUS_UNAVAILABLE',
        code && TIMEOUT_CODES.has(code) ? `Prometheus did not answer within ${timeout} ms` : 'Prometheus is unreachable',
      );
    }
    return interpretResponse(response.status, response.data, (failure) => this.logger.warn({ msg: 'Prometheus query failed', path, ...failure }));
  }
}
