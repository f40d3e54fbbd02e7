import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../auth/roles.js';
import { ApiError } from '../common/api-error.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterResolver } from '../kubernetes/cluster.resolver.js';
import { type IstioObject, VIRTUAL_SERVICES } from '../kubernetes/kubernetes.types.js';
import { SnapshotMemo } from '../common/snapshot-memo.js';
import { byName, toVirtualServiceView, type VirtualServiceView } from './istio.views.js';
import { planWeightUpdate, validateWeightSet, type WeightRequest } from './weights.js';

@Injectable()
export class VirtualServicesService {
  private readonly audit = new Logger('Audit');

  constructor(
    private readonly clusters: ClusterResolver,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Views of a list, once per watch-cache snapshot (see SnapshotMemo). */
  private readonly listViews = new SnapshotMemo((objects: readonly IstioObject[]) => objects.map(toVirtualServiceView).sort(byName));

  async list(namespace: string, override: string | undefined, caller: AuthUser): Promise<readonly VirtualServiceView[]> {
    return this.listViews.answer(await this.clusters.forRequest(override, caller).list(VIRTUAL_SERVICES, namespace));
  }

  async get(namespace: string, name: string, override: string | undefined, caller: AuthUser): Promise<VirtualServiceView> {
    return toVirtualServiceView(await this.clusters.forRequest(override, caller).get(VIRTUAL_SERVICES, namespace, name));
  }

  /**
   * Read, change only the matching weights, write back with the read resourceVersion. A concurrent
   * edit makes the write fail with 409; then the object is re-read and the change re-applied to the
   * fresh copy, so the other edit survives. After the configured attempts the caller gets 409.
   */
  async updateWeights(namespace: string, name: string, request: WeightRequest, override: string | undefined, caller: AuthUser): Promise<VirtualServiceView> {
    validateWeightSet(request.weights);
    const cluster = this.clusters.forRequest(override, caller);
    for (let attempt = 1; attempt <= this.config.weightUpdateMaxAttempts; attempt++) {
      const current = await cluster.get(VIRTUAL_SERVICES, namespace, name);
      const plan = planWeightUpdate(current, request);
      if (!plan.changed) return toVirtualServiceView(current);
      try {
        const updated = await cluster.replace(VIRTUAL_SERVICES, plan.object);
        this.audit.log({
          msg: 'traffic weights changed',
          sub: caller.sub,
          virtualService: `${namespace}/${name}`,
          cluster: cluster.identity.source === 'override' ? cluster.identity.server : 'default',
          changes: plan.changes,
          resourceVersion: `${current.metadata.resourceVersion} -> ${updated.metadata.resourceVersion}`,
          attempt,
        });
        return toVirtualServiceView(updated);
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== 'CONFLICT') throw error;
      }
    }
    throw new ApiError(
      'CONFLICT',
      `VirtualService ${namespace}/${name} kept changing while the weights were applied (${this.config.weightUpdateMaxAttempts} attempts); retry`,
    );
  }
}
