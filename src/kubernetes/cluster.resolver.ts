import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AuthUser } from '../auth/roles.js';
import { ApiError } from '../common/api-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterClientFactory } from './cluster-client.factory.js';
import type { ClusterClient } from './cluster.client.js';
import { sanitizeKubeconfig, type SafeKubeconfig } from './kubeconfig.sanitizer.js';

/** Overrides unused for this long are dropped, so revoked credentials do not linger in memory. */
const OVERRIDE_TTL_MS = 10 * 60_000;

/**
 * Resolves which cluster a request talks to: the service's own (KUBECONFIG_PATH or the pod's
 * service account) or a caller-supplied kubeconfig. Overrides are sanitized once and their
 * clients cached by a hash of the raw text, so repeated requests do not re-parse.
 */
@Injectable()
export class ClusterResolver implements OnApplicationShutdown {
  private readonly logger = new Logger('ClusterResolver');
  private defaultClient?: ClusterClient;
  private readonly overrides: LRUCache<string, ClusterClient>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly factory: ClusterClientFactory,
  ) {
    this.overrides = new LRUCache({ max: config.overrides.cacheSize, ttl: OVERRIDE_TTL_MS, updateAgeOnGet: true });
  }

  /** The cluster for this request. `override` is the caller's base64 kubeconfig, if any. */
  forRequest(override: string | undefined, caller: AuthUser | undefined): ClusterClient {
    if (override === undefined) return this.defaultCluster();
    if (!this.config.overrides.enabled) {
      throw new ApiError('OVERRIDE_DISABLED', 'Kubeconfig overrides are disabled on this service');
    }
    const key = createHash('sha256').update(override).digest('hex');
    let client = this.overrides.get(key);
    if (!client) {
      let safe: SafeKubeconfig;
      try {
        safe = sanitizeKubeconfig(override, this.config.overrides);
      } catch (error) {
        this.logger.warn({ msg: 'kubeconfig override refused', sub: caller?.sub, reason: (error as Error).message });
        throw error;
      }
      client = this.factory.create(toKubeConfig(safe), { server: safe.cluster.server, source: 'override' });
      this.overrides.set(key, client);
    }
    this.logger.log({ msg: 'kubeconfig override used', sub: caller?.sub, server: client.identity.server });
    return client;
  }

  /** Ends the default cluster's watches and kept connections, so the process can exit. */
  async onApplicationShutdown(): Promise<void> {
    const clients = [this.defaultClient, ...this.overrides.values()];
    this.defaultClient = undefined;
    this.overrides.clear();
    // Test fakes stand in for ClusterClient without close().
    await Promise.all(clients.map((client) => client?.close?.()));
  }

  defaultCluster(): ClusterClient {
    if (!this.defaultClient) {
      const kubeConfig = new KubeConfig();
      if (this.config.kubeconfigPath) {
        // The operator's own file is trusted (it may legitimately use exec plugins, e.g. EKS).
        kubeConfig.loadFromFile(this.config.kubeconfigPath);
      } else if (process.env.KUBERNETES_SERVICE_HOST) {
        kubeConfig.loadFromCluster();
      } else {
        throw new ApiError('CLUSTER_NOT_CONFIGURED', 'No default cluster: set KUBECONFIG_PATH or pass a kubeconfig override');
      }
      const server = kubeConfig.getCurrentCluster()?.server ?? '(unknown)';
      this.defaultClient = this.factory.create(kubeConfig, { server, source: 'default' });
    }
    return this.defaultClient;
  }
}

/** Builds a KubeConfig from passive data only: no file paths, commands or proxies can reach it. */
function toKubeConfig(safe: SafeKubeconfig): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: safe.cluster.name, server: safe.cluster.server, caData: safe.cluster.caData, tlsServerName: safe.cluster.tlsServerName, skipTLSVerify: false },
    { name: safe.user.name, token: safe.user.token, certData: safe.user.certData, keyData: safe.user.keyData },
  );
  return kubeConfig;
}
