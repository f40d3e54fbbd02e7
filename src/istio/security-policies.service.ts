import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/roles.js';
import { ClusterResolver } from '../kubernetes/cluster.resolver.js';
import { SnapshotMemo } from '../common/snapshot-memo.js';
import { AUTHORIZATION_POLICIES, PEER_AUTHENTICATIONS, type IstioObject } from '../kubernetes/kubernetes.types.js';
import { byName, toAuthorizationPolicyView, toPeerAuthenticationView, type AuthorizationPolicyView, type PeerAuthenticationView } from './istio.views.js';

@Injectable()
export class SecurityPoliciesService {
  constructor(private readonly clusters: ClusterResolver) {}

  /** Views of a list, once per watch-cache snapshot (see SnapshotMemo). */
  private readonly peerAuthenticationViews = new SnapshotMemo((objects: readonly IstioObject[]) => objects.map(toPeerAuthenticationView).sort(byName));
  private readonly authorizationPolicyViews = new SnapshotMemo((objects: readonly IstioObject[]) => objects.map(toAuthorizationPolicyView).sort(byName));

  async peerAuthentications(namespace: string, override: string | undefined, caller: AuthUser): Promise<readonly PeerAuthenticationView[]> {
    return this.peerAuthenticationViews.answer(await this.clusters.forRequest(override, caller).list(PEER_AUTHENTICATIONS, namespace));
  }

  async authorizationPolicies(namespace: string, override: string | undefined, caller: AuthUser): Promise<readonly AuthorizationPolicyView[]> {
    return this.authorizationPolicyViews.answer(await this.clusters.forRequest(override, caller).list(AUTHORIZATION_POLICIES, namespace));
  }
}
