import { effectiveWeight, objectsOf } from '../istio/istio.views.js';
import { normalizeHost } from '../istio/weights.js';
import type { IstioObject } from '../kubernetes/kubernetes.types.js';
import type { Sample } from '../prometheus/prometheus.response.js';
import { isFailedResponse } from '../prometheus/promql.js';

/**
 * Pure topology rules.
 *
 * Config edges: for each VirtualService (by name), each host H of spec.hosts (wildcards skipped)
 * and each destination D of its http, tcp and tls routes, an edge H -> D.host with D's effective
 * weight (its weight; 100 for a sole destination without one; 0 for an unweighted one among
 * several). Hosts are shown by short name: "reviews", "reviews.bookinfo" and
 * "reviews.bookinfo.svc.cluster.local" are all "reviews" (namespace "bookinfo"); a host that is
 * not a Kubernetes service name (e.g. pay.example.com) stays whole and has no namespace. Routes
 * are named by their `name`, else "http[i]" / "tcp[i]" / "tls[i]". Delegate routes carry no
 * destinations and add no edges.
 *
 * Telemetry edges: observed source canonical service -> destination service pairs. A config edge
 * whose source and destination (with namespaces) match an observed pair becomes "both" and
 * carries the pair's rps and errorRate (telemetry does not split by subset or route); observed
 * pairs without a config edge are added as "telemetry" edges.
 */

export type EdgeOrigin = 'config' | 'telemetry' | 'both';

export interface TopologyEdge {
  source: string;
  destination: string;
  weight: number;
  subset?: string;
  route?: string;
  sourceNamespace?: string;
  destinationNamespace?: string;
  origin: EdgeOrigin;
  rps?: number;
  errorRate?: number;
}

export interface ServiceRef {
  name: string;
  /** Known for Kubernetes service hosts only. */
  namespace?: string;
}

export interface ObservedEdge {
  source: string;
  sourceNamespace: string;
  destination: string;
  destinationNamespace: string;
  rps: number;
  /** 0 to 1, same failure rule as the error-rate metric. */
  errorRate: number;
}

type Raw = Record<string, unknown>;

const SERVICE_FQDN = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\..+)?$/;
const ROUTE_KINDS = ['http', 'tcp', 'tls'] as const;

/** A host as a service name, resolved like Istio resolves short names (relative to the VirtualService's namespace). */
export function serviceRef(host: string, namespace: string): ServiceRef | undefined {
  const trimmed = host.trim();
  if (trimmed === '' || trimmed.includes('*')) return undefined;
  const fqdn = normalizeHost(trimmed, namespace);
  const match = SERVICE_FQDN.exec(fqdn);
  return match ? { name: match[1]!, namespace: match[2]! } : { name: fqdn };
}

function refKey(ref: ServiceRef): string {
  return `${ref.name}.${ref.namespace ?? ''}`;
}

function pairKey(source: ServiceRef, destination: ServiceRef): string {
  return `${refKey(source)}->${refKey(destination)}`;
}

function routesOf(spec: Raw): Array<{ label: string; destinations: Raw[] }> {
  return ROUTE_KINDS.flatMap((kind) =>
    objectsOf(spec[kind]).map((route, index) => ({
      label: typeof route.name === 'string' && route.name !== '' ? route.name : `${kind}[${index}]`,
      destinations: objectsOf(route.route),
    })),
  );
}

function sourcesOf(spec: Raw, namespace: string): ServiceRef[] {
  const hosts = Array.isArray(spec.hosts) ? spec.hosts.filter((host): host is string => typeof host === 'string') : [];
  const refs = new Map<string, ServiceRef>();
  for (const host of hosts) {
    const ref = serviceRef(host, namespace);
    if (ref && !refs.has(refKey(ref))) refs.set(refKey(ref), ref);
  }
  return [...refs.values()];
}

/** Edges from VirtualService routes (the spec's topology). */
export function configEdges(virtualServices: readonly IstioObject[]): TopologyEdge[] {
  const sorted = [...virtualServices].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return sorted.flatMap((virtualService) => {
    const namespace = virtualService.metadata.namespace;
    const spec = (virtualService.spec ?? {}) as Raw;
    const routes = routesOf(spec);
    return sourcesOf(spec, namespace).flatMap((source) =>
      routes.flatMap((route) =>
        route.destinations.flatMap((entry): TopologyEdge[] => {
          const destination = (entry.destination ?? {}) as Raw;
          const target = typeof destination.host === 'string' ? serviceRef(destination.host, namespace) : undefined;
          if (!target) return [];
          return [
            {
              source: source.name,
              destination: target.name,
              weight: effectiveWeight(entry, route.destinations.length),
              ...(typeof destination.subset === 'string' && destination.subset !== '' ? { subset: destination.subset } : {}),
              route: route.label,
              ...(source.namespace ? { sourceNamespace: source.namespace } : {}),
              ...(target.namespace ? { destinationNamespace: target.namespace } : {}),
              origin: 'config',
            },
          ];
        }),
      ),
    );
  });
}

/**
 * Observed edges from per-response-code request rates (edgeTrafficQuery samples). The same series
 * may come from both directional queries and is counted once; pairs without requests are dropped.
 */
export function observedEdges(samples: readonly Sample[]): ObservedEdge[] {
  const seen = new Set<string>();
  const pairs = new Map<string, ObservedEdge & { errors: number }>();
  for (const { labels, value } of samples) {
    const source = { name: labels.source_canonical_service || 'unknown', namespace: labels.source_workload_namespace || 'unknown' };
    const destination = { name: labels.destination_service_name || 'unknown', namespace: labels.destination_service_namespace || 'unknown' };
    const series = `${pairKey(source, destination)}|${labels.response_code ?? ''}|${labels.grpc_response_status ?? ''}`;
    if (seen.has(series)) continue;
    seen.add(series);
    const key = pairKey(source, destination);
    const pair = pairs.get(key) ?? {
      source: source.name,
      sourceNamespace: source.namespace,
      destination: destination.name,
      destinationNamespace: destination.namespace,
      rps: 0,
      errorRate: 0,
      errors: 0,
    };
    pair.rps += value;
    if (isFailedResponse(labels.response_code, labels.grpc_response_status)) pair.errors += value;
    pairs.set(key, pair);
  }
  return [...pairs.values()]
    .filter((pair) => pair.rps > 0)
    .map(({ errors, ...pair }) => ({ ...pair, errorRate: errors / pair.rps }))
    .sort((a, b) => pairKey(sourceOf(a), destinationOf(a)).localeCompare(pairKey(sourceOf(b), destinationOf(b))));
}

const sourceOf = (edge: ObservedEdge): ServiceRef => ({ name: edge.source, namespace: edge.sourceNamespace });
const destinationOf = (edge: ObservedEdge): ServiceRef => ({ name: edge.destination, namespace: edge.destinationNamespace });

/**
 * Marks config edges seen in telemetry as "both" (with rps and errorRate) and appends observed
 * pairs without config as "telemetry" edges, whose weight is the pair's share (percent, two
 * decimals) of all requests its source sends among the observed edges.
 */
export function mergeTelemetry(config: readonly TopologyEdge[], observed: readonly ObservedEdge[]): TopologyEdge[] {
  const byPair = new Map(observed.map((edge) => [pairKey(sourceOf(edge), destinationOf(edge)), edge]));
  const matched = new Set<string>();
  const merged = config.map((edge): TopologyEdge => {
    if (!edge.sourceNamespace || !edge.destinationNamespace) return edge;
    const key = pairKey({ name: edge.source, namespace: edge.sourceNamespace }, { name: edge.destination, namespace: edge.destinationNamespace });
    const seen = byPair.get(key);
    if (!seen) return edge;
    matched.add(key);
    return { ...edge, origin: 'both', rps: seen.rps, errorRate: seen.errorRate };
  });
  const outgoing = new Map<string, number>();
  for (const edge of observed) outgoing.set(refKey(sourceOf(edge)), (outgoing.get(refKey(sourceOf(edge))) ?? 0) + edge.rps);
  const telemetryOnly = observed
    .filter((edge) => !matched.has(pairKey(sourceOf(edge), destinationOf(edge))))
    .map(
      (edge): TopologyEdge => ({
        source: edge.source,
        destination: edge.destination,
        weight: Math.round((10_000 * edge.rps) / outgoing.get(refKey(sourceOf(edge)))!) / 100,
        sourceNamespace: edge.sourceNamespace,
        destinationNamespace: edge.destinationNamespace,
        origin: 'telemetry',
        rps: edge.rps,
        errorRate: edge.errorRate,
      }),
    );
  return [...merged, ...telemetryOnly];
}
