/** Plain-data shapes that leave the kubernetes/ folder; no client-library types escape it. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface IstioObject<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
}

export type IstioGroup = 'networking.istio.io' | 'security.istio.io';

export interface IstioResource {
  group: IstioGroup;
  plural: 'virtualservices' | 'destinationrules' | 'peerauthentications' | 'authorizationpolicies';
}

export const VIRTUAL_SERVICES: IstioResource = { group: 'networking.istio.io', plural: 'virtualservices' };
export const PEER_AUTHENTICATIONS: IstioResource = { group: 'security.istio.io', plural: 'peerauthentications' };
export const AUTHORIZATION_POLICIES: IstioResource = { group: 'security.istio.io', plural: 'authorizationpolicies' };

export interface ApiGroupInfo {
  group: string;
  preferredVersion: string;
  servedVersions: string[];
}

export interface DeploymentSummary {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  images: string[];
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
}

export interface ClusterIdentity {
  server: string;
  source: 'default' | 'override';
}
