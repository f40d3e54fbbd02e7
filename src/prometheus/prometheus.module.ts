import { Global, Module } from '@nestjs/common';
import { PrometheusClient } from './prometheus.client.js';

/** Global so metrics, topology and health/bench code share one client (and its single-flight cache). */
@Global()
@Module({
  providers: [PrometheusClient],
  exports: [PrometheusClient],
})
export class PrometheusModule {}
