import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/roles.js';
import { ApiError } from '../common/api-error.js';
import { ClusterResolver } from '../kubernetes/cluster.resolver.js';
import type { DeploymentSummary } from '../kubernetes/kubernetes.types.js';
import type { ApiGroupDto, ControlPlaneRevisionDto, IstioStatusDto } from './dto/istio-responses.dto.js';

const ISTIO_GROUPS = ['networking.istio.io', 'security.istio.io'];

/** "docker.io/istio/pilot:1.28.1-distroless" -> "1.28.1"; digests and "latest" carry no version. */
export function versionFromImage(image: string): string | null {
  const tag = /:([^/@]+)$/.exec(image.split('@')[0] ?? '')?.[1];
  const version = tag ? /^v?(\d+\.\d+\.\d+(?:-(?:alpha|beta|rc)[.\w]*)?)/.exec(tag)?.[1] : undefined;
  return version ?? null;
}

export function toRevision(deployment: DeploymentSummary): ControlPlaneRevisionDto {
  const image = deployment.images.find((candidate) => /pilot|istiod/.test(candidate)) ?? deployment.images[0] ?? '';
  return {
    revision: deployment.labels['istio.io/rev'] ?? 'default',
    name: deployment.name,
    namespace: deployment.namespace,
    version: versionFromImage(image),
    ready: deployment.replicas > 0 && deployment.readyReplicas >= deployment.replicas,
    replicas: deployment.replicas,
    readyReplicas: deployment.readyReplicas,
  };
}

@Injectable()
export class IstioStatusService {
  constructor(private readonly clusters: ClusterResolver) {}

  /** Detects Istio like Kiali does: the API group first, then istiod Deployments by revision. */
  async status(override: string | undefined, caller: AuthUser): Promise<IstioStatusDto> {
    const cluster = this.clusters.forRequest(override, caller);
    const groups = await cluster.apiGroups();
    const apiGroups: ApiGroupDto[] = ISTIO_GROUPS.flatMap((name) => {
      const info = groups.get(name);
      return info ? [{ group: info.group, preferredVersion: info.preferredVersion, servedVersions: info.servedVersions }] : [];
    });
    const warnings: string[] = [];
    let revisions: ControlPlaneRevisionDto[] = [];
    try {
      revisions = (await cluster.listDeployments('app=istiod')).map(toRevision).sort((a, b) => a.revision.localeCompare(b.revision));
    } catch (error) {
      // Partial answer: the API groups are still worth reporting when Deployments are off-limits.
      if (!(error instanceof ApiError) || error.status === 503) throw error;
      warnings.push(`istiod Deployments could not be read: ${error.message}`);
    }
    const main = revisions.find((revision) => revision.revision === 'default') ?? revisions.find((revision) => revision.ready);
    return {
      installed: groups.has('networking.istio.io'),
      version: main?.version ?? null,
      revisions,
      apiGroups,
      warnings,
    };
  }
}
