import { Injectable } from '@nestjs/common';
import { PrometheusClient } from '../prometheus/prometheus.client.js';
import type { Point } from '../prometheus/prometheus.response.js';
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
    return {
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
    };
  }
}
