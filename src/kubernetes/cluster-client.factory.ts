import { Inject, Injectable } from '@nestjs/common';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ServiceMetrics } from '../observability/service-metrics.js';
import { ClusterClient } from './cluster.client.js';
import type { ClusterIdentity } from './kubernetes.types.js';

/** Creates clients; a seam so HTTP-level tests can fake the Kubernetes API while the resolver stays real. */
@Injectable()
export class ClusterClientFactory {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Only the service's own cluster gets a watch cache; overrides always read directly (never cached across callers). */
  create(kubeConfig: KubeConfig, identity: ClusterIdentity): ClusterClient {
    const { enabled, maxObjects, livenessWindowMs } = this.config.watchCache;
    return new ClusterClient(kubeConfig, identity, this.config.kubernetesTimeoutMs, {
      watchCache: identity.source === 'default' && enabled ? { maxObjects, livenessWindowMs } : false,
      observe: (operation, outcome, seconds) => this.metrics.observeUpstream('kubernetes', operation, outcome, seconds),
    });
  }
}

