import type { IstioObject } from '../kubernetes/kubernetes.types.js';

/**
 * Pure mappers from raw Istio objects to the API's response shapes (the spec's field names,
 * plus extras the spec allows). Kept free of Nest and client types so they are trivially testable.
 */

export interface RouteDestinationView {
  destination: { host: string; subset?: string; port?: { number?: number } };
  weight: number;
}

export interface HttpRouteView {
  name?: string;
  match?: unknown[];
  route: RouteDestinationView[];
}

export interface L4RouteView {
  match?: unknown[];
  route: RouteDestinationView[];
}

export interface VirtualServiceView {
  name: string;
  namespace: string;
  hosts: string[];
  gateways?: string[];
  http: HttpRouteView[];
  tcp?: L4RouteView[];
  tls?: L4RouteView[];
  resourceVersion?: string;
  createdAt?: string;
}

type Raw = Record<string, unknown>;

/** The object entries of a list field of a raw Istio spec (anything else ignored). */
/** The order of every list answer: by name. */
export const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);

export function objectsOf(value: unknown): Raw[] {
  return Array.isArray(value) ? value.filter((item): item is Raw => !!item && typeof item === 'object') : [];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Istio's effective weight: the stored weight, or all traffic for a sole destination without one
 * (an omitted weight among several is 0, as in Istio's proto default).
 */
export function effectiveWeight(destination: Raw, siblings: number): number {
  const weight = destination.weight;
  if (typeof weight === 'number') return weight;
  return siblings === 1 ? 100 : 0;
}

function destinationsView(route: unknown): RouteDestinationView[] {
  const destinations = objectsOf(route);
  return destinations.map((entry) => {
    const destination = (entry.destination ?? {}) as Raw;
    const port = destination.port as { number?: number } | undefined;
    return {
      destination: {
        host: typeof destination.host === 'string' ? destination.host : '',
        ...(typeof destination.subset === 'string' ? { subset: destination.subset } : {}),
        ...(port && typeof port === 'object' ? { port } : {}),
      },
      weight: effectiveWeight(entry, destinations.length),
    };
  });
}

function l4Routes(value: unknown): L4RouteView[] | undefined {
  const routes = objectsOf(value);
  if (routes.length === 0) return undefined;
  return routes.map((route) => ({
    ...(Array.isArray(route.match) ? { match: route.match } : {}),
    route: destinationsView(route.route),
  }));
}

export function toVirtualServiceView(object: IstioObject): VirtualServiceView {
  const spec = (object.spec ?? {}) as Raw;
  const gateways = strings(spec.gateways);
  const tcp = l4Routes(spec.tcp);
  const tls = l4Routes(spec.tls);
  return {
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    hosts: strings(spec.hosts),
    ...(gateways.length > 0 ? { gateways } : {}),
    http: objectsOf(spec.http).map((route) => ({
      ...(typeof route.name === 'string' ? { name: route.name } : {}),
      ...(Array.isArray(route.match) ? { match: route.match } : {}),
      route: destinationsView(route.route),
    })),
    ...(tcp ? { tcp } : {}),
    ...(tls ? { tls } : {}),
    resourceVersion: object.metadata.resourceVersion,
    createdAt: object.metadata.creationTimestamp,
  };
}

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET';
const MTLS_MODES: MtlsMode[] = ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET'];

function mtlsMode(value: unknown): MtlsMode {
  const mode = (value as { mode?: unknown } | undefined)?.mode;
  return typeof mode === 'string' && (MTLS_MODES as string[]).includes(mode) ? (mode as MtlsMode) : 'UNSET';
}

export interface PeerAuthenticationView {
  name: string;
  namespace: string;
  mtlsMode: MtlsMode;
  createdAt?: string;
  selector?: Record<string, string>;
  portLevelMtls?: Record<string, MtlsMode>;
}

function matchLabels(spec: Raw): Record<string, string> | undefined {
  const labels = (spec.selector as { matchLabels?: unknown } | undefined)?.matchLabels;
  return labels && typeof labels === 'object' ? (labels as Record<string, string>) : undefined;
}

export function toPeerAuthenticationView(object: IstioObject): PeerAuthenticationView {
  const spec = (object.spec ?? {}) as Raw;
  const selector = matchLabels(spec);
  const ports = spec.portLevelMtls && typeof spec.portLevelMtls === 'object' ? (spec.portLevelMtls as Record<string, unknown>) : undefined;
  return {
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    mtlsMode: mtlsMode(spec.mtls),
    createdAt: object.metadata.creationTimestamp,
    ...(selector ? { selector } : {}),
    ...(ports ? { portLevelMtls: Object.fromEntries(Object.entries(ports).map(([port, mtls]) => [port, mtlsMode(mtls)])) } : {}),
  };
}

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface AuthorizationPolicyView {
  name: string;
  namespace: string;
  action: AuthorizationAction;
  rules: unknown[];
  createdAt?: string;
  selector?: Record<string, string>;
  targetRefs?: unknown[];
  provider?: { name: string };
}

export function toAuthorizationPolicyView(object: IstioObject): AuthorizationPolicyView {
  const spec = (object.spec ?? {}) as Raw;
  const selector = matchLabels(spec);
  const provider = spec.provider as { name?: unknown } | undefined;
  const targetRefs = Array.isArray(spec.targetRefs) ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : undefined;
  return {
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    // Istio's default action is ALLOW when the field is omitted.
    action: typeof spec.action === 'string' ? (spec.action as AuthorizationAction) : 'ALLOW',
    rules: Array.isArray(spec.rules) ? spec.rules : [],
    createdAt: object.metadata.creationTimestamp,
    ...(selector ? { selector } : {}),
    ...(targetRefs ? { targetRefs } : {}),
    ...(provider && typeof provider.name === 'string' ? { provider: { name: provider.name } } : {}),
  };
}
