import { ApiError } from '../common/api-error.js';
import type { IstioObject } from '../kubernetes/kubernetes.types.js';
import { effectiveWeight } from './istio.views.js';

/**
 * The weight update as pure functions: validate the requested split, find the HTTP routes it
 * applies to, and produce a copy of the object in which only those `route[].weight` fields differ.
 * Everything else (matches, headers, retries, mirrors, other routes, metadata) is carried over
 * untouched, which is what Flagger-style rewrites of `spec.http` get wrong.
 */

export interface WeightAssignment {
  destination: string;
  weight: number;
}

export interface WeightRequest {
  weights: WeightAssignment[];
  /** HTTP route name; without it every route whose destinations are exactly the named set changes. */
  route?: string;
}

export interface RouteChange {
  /** The route's name, or its index in spec.http when unnamed. */
  route: string | number;
  before: Record<string, number>;
  after: Record<string, number>;
}

export interface WeightUpdatePlan {
  object: IstioObject;
  changes: RouteChange[];
  /** False when every weight already had the requested value (nothing to write). */
  changed: boolean;
}

type Raw = Record<string, unknown>;

/** Checks the split itself; type/range checks of each entry happen in the DTO. */
export function validateWeightSet(weights: WeightAssignment[]): void {
  if (weights.length === 0) throw new ApiError('INVALID_WEIGHTS', 'weights must name at least one destination');
  const seen = new Set<string>();
  for (const { destination, weight } of weights) {
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new ApiError('INVALID_WEIGHTS', `weight of "${destination}" must be a whole number from 0 to 100, got ${weight}`);
    }
    if (seen.has(destination)) throw new ApiError('INVALID_WEIGHTS', `destination "${destination}" is listed more than once`);
    seen.add(destination);
  }
  const sum = weights.reduce((total, { weight }) => total + weight, 0);
  if (sum !== 100) throw new ApiError('INVALID_WEIGHTS', `weights must sum to 100, got ${sum}`);
}

/** Kubernetes service hosts compared in their FQDN form: "reviews", "reviews.ns" and "reviews.ns.svc.cluster.local" are one host. */
export function normalizeHost(host: string, namespace: string): string {
  const lower = host.toLowerCase().replace(/\.$/, '');
  const parts = lower.split('.');
  if (parts.length === 1) return `${lower}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${lower}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${lower}.cluster.local`;
  return lower;
}

/** How a route destination is named in requests: its subset, or its host when it has none. */
export function destinationLabel(entry: Raw): string {
  const destination = (entry.destination ?? {}) as Raw;
  return typeof destination.subset === 'string' ? destination.subset : String(destination.host ?? '');
}

function matchesDestination(requested: string, entry: Raw, namespace: string): boolean {
  const destination = (entry.destination ?? {}) as Raw;
  if (typeof destination.subset === 'string') return requested === destination.subset;
  return typeof destination.host === 'string' && normalizeHost(requested, namespace) === normalizeHost(destination.host, namespace);
}

function routeDestinations(route: Raw): Raw[] {
  return Array.isArray(route.route) ? (route.route as Raw[]) : [];
}

/** Maps each requested destination to the index of the route destination it names, if the sets are equal. */
function bijection(requested: WeightAssignment[], destinations: Raw[], namespace: string): Map<number, number> | 'ambiguous' | undefined {
  if (destinations.length !== requested.length) return undefined;
  const mapping = new Map<number, number>();
  for (const { destination } of requested) {
    const hits = destinations.flatMap((entry, index) => (matchesDestination(destination, entry, namespace) ? [index] : []));
    if (hits.length > 1) return 'ambiguous';
    if (hits.length === 0 || mapping.has(hits[0]!)) return undefined;
    mapping.set(hits[0]!, requested.findIndex((assignment) => assignment.destination === destination));
  }
  return mapping;
}

function describeRoutes(routes: Raw[]): Array<{ route: string | number; destinations: string[] }> {
  return routes.map((route, index) => ({
    route: typeof route.name === 'string' ? route.name : index,
    destinations: routeDestinations(route).map(destinationLabel),
  }));
}

/** Plans the update. Throws ApiError (400) when the request names no route or unknown destinations. */
export function planWeightUpdate(object: IstioObject, request: WeightRequest): WeightUpdatePlan {
  validateWeightSet(request.weights);
  const namespace = object.metadata.namespace;
  const updated = structuredClone(object);
  const routes = Array.isArray((updated.spec as Raw | undefined)?.http) ? ((updated.spec as Raw).http as Raw[]) : [];
  const routeSummary = describeRoutes(routes);
  const available = [...new Set(routeSummary.flatMap((route) => route.destinations))];

  const candidates = routes
    .map((route, index) => ({ route, index }))
    .filter(({ route }) => request.route === undefined || route.name === request.route);
  if (request.route !== undefined && candidates.length === 0) {
    throw new ApiError('NO_MATCHING_ROUTE', `VirtualService ${namespace}/${object.metadata.name} has no HTTP route named "${request.route}"`, {
      routes: routeSummary,
    });
  }

  const pool = candidates.flatMap(({ route }) => routeDestinations(route));
  const unknown = request.weights.filter(({ destination }) => !pool.some((entry) => matchesDestination(destination, entry, namespace)));
  if (unknown.length > 0) {
    throw new ApiError(
      'UNKNOWN_DESTINATION',
      `Unknown destination(s) ${unknown.map((entry) => `"${entry.destination}"`).join(', ')}; existing destinations: ${available.join(', ') || '(none)'}`,
      { availableDestinations: available, routes: routeSummary },
    );
  }

  const changes: RouteChange[] = [];
  let changed = false;
  for (const { route, index } of candidates) {
    const destinations = routeDestinations(route);
    const mapping = bijection(request.weights, destinations, namespace);
    if (mapping === 'ambiguous') {
      throw new ApiError('NO_MATCHING_ROUTE', `A requested destination names more than one destination of route ${route.name ?? index}; use subsets to tell them apart`, {
        routes: routeSummary,
      });
    }
    if (!mapping) continue;
    const before: Record<string, number> = {};
    const after: Record<string, number> = {};
    mapping.forEach((requestIndex, destinationIndex) => {
      const entry = destinations[destinationIndex]!;
      const { destination, weight } = request.weights[requestIndex]!;
      const current = effectiveWeight(entry, destinations.length);
      before[destination] = current;
      after[destination] = weight;
      // Only a weight whose effective value changes is written, so no-op fields are not added.
      if (current !== weight) {
        entry.weight = weight;
        changed = true;
      }
    });
    changes.push({ route: typeof route.name === 'string' ? route.name : index, before, after });
  }

  if (changes.length === 0) {
    const names = request.weights.map((entry) => entry.destination).join(', ');
    throw new ApiError(
      'NO_MATCHING_ROUTE',
      request.route !== undefined
        ? `Route "${request.route}" has destinations ${routeSummary.filter((r) => r.route === request.route).map((r) => r.destinations.join(', ')).join('; ')}; the request must name exactly those`
        : `No HTTP route has exactly the destinations ${names}; name all destinations of one route (routes: ${routeSummary.map((r) => `${r.route}=[${r.destinations.join(', ')}]`).join('; ')})`,
      { availableDestinations: available, routes: routeSummary },
    );
  }
  return { object: updated, changes, changed };
}
