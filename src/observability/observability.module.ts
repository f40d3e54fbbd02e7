import { Controller, Get, Global, Header, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import { ServiceMetrics } from './service-metrics.js';

/** GET /metrics (outside /api/v1, unauthenticated like /healthz): the service's own metrics for Prometheus. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class ServiceMetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Global()
@Module({ controllers: [ServiceMetricsController], providers: [ServiceMetrics], exports: [ServiceMetrics] })
export class ObservabilityModule {}
