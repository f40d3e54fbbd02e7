import { Injectable } from '@nestjs/common';
import { reusableAnswer } from '../common/reply-serializer.js';
import { PrometheusClient } from '../prometheus/prometheus.client.js';
import type { Point, TimeSeries } from '../prometheus/prometheus.response.js';
import { DEFAULT_RANGE, planQueryWindow } from '../prometheus/range.js';
import { METRICS, type MetricName } from './metric-definitions.js';

export interface MetricsRequest {
  service: string;
  namespace: string;
  range?: string;
}

export interface MetricsResponse {
  metric: MetricName;
  service: string;
  namespace: string;
  unit: string;
  range: string;
  step: number;
  window: number;
  start: number;
  end: number;
  timeseries: readonly Point[];
}

@Injectable()
export class MetricsService {
  /**
   * Identical requests within the Prometheus cache's TTL get the same series array back, so the
   * answer around it is built once per cached result and, as a reusableAnswer, serialized once
   * (turning 120 floats into JSON was a third of this path's CPU). Keyed weakly by the series: an
   * expired result's answers go with it.
   */
  private readonly answers = new WeakMap<readonly TimeSeries[], Map<string, MetricsResponse>>();

  constructor(private readonly prometheus: PrometheusClient) {}

  async timeseries(metric: MetricName, request: MetricsRequest, nowMs = Date.now()): Promise<MetricsResponse> {
    const { service, namespace } = request;
    const plan = planQueryWindow(request.range ?? DEFAULT_RANGE, Math.floor(nowMs / 1000));
    const definition = METRICS[metric];
    const series = await this.prometheus.queryRange({
      query: definition.query({ service, namespace }, plan.window),
      start: plan.start,
      end: plan.end,
      step: plan.step,
    });
    let byRequest = this.answers.get(series);
    if (!byRequest) {
      byRequest = new Map();
      this.answers.set(series, byRequest);
    }
    // The series already pins the query, window and time span; these name what the caller asked for.
    const key = `${metric}\n${plan.range}\n${service}\n${namespace}`;
    let answer = byRequest.get(key);
    if (!answer) {
      answer = reusableAnswer({
        metric,
        service,
        namespace,
        unit: definition.unit,
        range: plan.range,
        step: plan.step,
        window: plan.window,
        start: plan.start,
        end: plan.end,
        // Every query aggregates to one series (or none: no data, so an empty timeseries).
        timeseries: series[0]?.points ?? [],
      });
      byRequest.set(key, answer);
    }
    return answer;
  }
}
