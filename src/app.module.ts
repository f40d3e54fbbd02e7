import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { IstioModule } from './istio/istio.module.js';
import { KubernetesModule } from './kubernetes/kubernetes.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { PrometheusModule } from './prometheus/prometheus.module.js';
import { TopologyModule } from './topology/topology.module.js';

@Module({})
export class AppModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule, AuthModule, KubernetesModule, PrometheusModule, IstioModule, MetricsModule, TopologyModule, HealthModule],
    };
  }
}
