import { HttpModule } from '@nestjs/axios';
import { Global, Module } from '@nestjs/common';
import { PrometheusClient } from './prometheus.client.js';

/** Global so metrics, topology and health/bench code share one client (and its single-flight cache). */
@Global()
@Module({
  imports: [HttpModule.register({ maxRedirects: 0 })],
  providers: [PrometheusClient],
  exports: [PrometheusClient],
})
export class PrometheusModule {}
