import { errorRateQuery, latencyQuantileQuery, requestRateQuery, type ServiceTarget } from '../prometheus/promql.js';

export const METRIC_NAMES = ['rps', 'error-rate', 'latency'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface MetricDefinition {
  unit: 'requests/s' | 'ratio' | 'ms';
  query: (target: ServiceTarget, windowSeconds: number) => string;
}

/** The three timeseries: Istio standard metrics, inbound at the destination service. */
export const METRICS: Record<MetricName, MetricDefinition> = {
  rps: { unit: 'requests/s', query: requestRateQuery },
  'error-rate': { unit: 'ratio', query: errorRateQuery },
  latency: { unit: 'ms', query: (target, windowSeconds) => latencyQuantileQuery(target, windowSeconds, 0.99) },
};
