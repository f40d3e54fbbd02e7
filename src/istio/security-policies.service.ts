import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/roles.js';
import { ClusterResolver } from '../kubernetes/cluster.resolver.js';
import { AUTHORIZATION_POLICIES, PEER_AUTHENTICATIONS } from '../kubernetes/kubernetes.types.js';
import { toAuthorizationPolicyView, toPeerAuthenticationView, type AuthorizationPolicyView, type PeerAuthenticationView } from './istio.views.js';

@Injectable()
export class SecurityPoliciesService {
  constructor(private readonly clusters: ClusterResolver) {}

  async peerAuthentications(namespace: string, override: string | undefined, caller: AuthUser): Promise<PeerAuthenticationView[]> {
    const objects = await this.clusters.forRequest(override, caller).list(PEER_AUTHENTICATIONS, namespace);
    return objects.map(toPeerAuthenticationView).sort((a, b) => a.name.localeCompare(b.name));
  }

  async authorizationPolicies(namespace: string, override: string | undefined, caller: AuthUser): Promise<AuthorizationPolicyView[]> {
    const objects = await this.clusters.forRequest(override, caller).list(AUTHORIZATION_POLICIES, namespace);
    return objects.map(toAuthorizationPolicyView).sort((a, b) => a.name.localeCompare(b.name));
  }
}
