import { ApiError } from '../common/api-error.js';
import type { IstioObject } from '../kubernetes/kubernetes.types.js';
import { normalizeHost, planWeightUpdate, validateWeightSet, type WeightRequest } from './weights.js';

function vs(http: unknown[], extra: Record<string, unknown> = {}): IstioObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'payment-service', namespace: 'payments', resourceVersion: '7', labels: { team: 'pay' }, annotations: { note: 'keep' } },
    spec: { hosts: ['payment-service'], http, ...extra },
  };
}

const canary = vs(
  [
    {
      name: 'beta-testers',
      match: [{ headers: { 'x-canary': { exact: 'true' } }, withoutHeaders: { 'x-debug': {} } }],
      route: [{ destination: { host: 'payment-service', subset: 'canary' } }],
    },
    {
      name: 'primary',
      retries: { attempts: 3, perTryTimeout: '2s' },
      timeout: '10s',
      mirror: { host: 'shadow' },
      route: [
        { destination: { host: 'payment-service', subset: 'stable' }, weight: 90, headers: { request: { set: { a: 'b' } } } },
        { destination: { host: 'payment-service', subset: 'canary' }, weight: 10 },
      ],
    },
  ],
  { gateways: ['mesh'] },
);

const byHost = vs([
  {
    route: [
      { destination: { host: 'checkout-v1' }, weight: 50 },
      { destination: { host: 'checkout-v2.payments.svc.cluster.local' }, weight: 30 },
      { destination: { host: 'checkout-v3.payments' }, weight: 20 },
    ],
  },
]);

const twoUnnamedRoutes = vs([
  { match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'a', subset: 'v1' }, weight: 50 }, { destination: { host: 'a', subset: 'v2' }, weight: 50 }] },
  { route: [{ destination: { host: 'a', subset: 'v1' }, weight: 100 }, { destination: { host: 'a', subset: 'v2' }, weight: 0 }] },
]);

function weightsOf(object: IstioObject, routeIndex: number): Array<number | undefined> {
  const http = (object.spec as { http: Array<{ route: Array<{ weight?: number }> }> }).http;
  return http[routeIndex]!.route.map((entry) => entry.weight);
}

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ApiError ? error.code : `not ApiError: ${String(error)}`;
  }
  return undefined;
}

describe('validateWeightSet', () => {
  it.each([
    ['sum 99', [{ destination: 'a', weight: 49 }, { destination: 'b', weight: 50 }], 'weights must sum to 100, got 99'],
    ['sum 101', [{ destination: 'a', weight: 51 }, { destination: 'b', weight: 50 }], 'weights must sum to 100, got 101'],
    ['all zero', [{ destination: 'a', weight: 0 }, { destination: 'b', weight: 0 }], 'weights must sum to 100, got 0'],
    ['duplicate', [{ destination: 'a', weight: 50 }, { destination: 'a', weight: 50 }], 'destination "a" is listed more than once'],
    ['float', [{ destination: 'a', weight: 50.5 }, { destination: 'b', weight: 49.5 }], 'weight of "a" must be a whole number from 0 to 100, got 50.5'],
    ['negative', [{ destination: 'a', weight: -10 }, { destination: 'b', weight: 110 }], 'weight of "a" must be a whole number from 0 to 100, got -10'],
    ['empty', [], 'weights must name at least one destination'],
  ])('rejects %s', (_name, weights, message) => {
    expect(() => validateWeightSet(weights)).toThrow(message);
  });

  it('accepts a valid split, including zero weights', () => {
    expect(() => validateWeightSet([{ destination: 'a', weight: 100 }, { destination: 'b', weight: 0 }])).not.toThrow();
  });
});

describe('normalizeHost', () => {
  it.each([
    ['reviews', 'reviews.payments.svc.cluster.local'],
    ['reviews.bookinfo', 'reviews.bookinfo.svc.cluster.local'],
    ['reviews.bookinfo.svc', 'reviews.bookinfo.svc.cluster.local'],
    ['reviews.bookinfo.svc.cluster.local', 'reviews.bookinfo.svc.cluster.local'],
    ['Reviews.Bookinfo.svc.cluster.local.', 'reviews.bookinfo.svc.cluster.local'],
    ['api.example.com', 'api.example.com'],
  ])('%s -> %s', (host, expected) => expect(normalizeHost(host, 'payments')).toBe(expected));
});

describe('planWeightUpdate', () => {
  it('changes only the matching route and leaves every other field identical', () => {
    const plan = planWeightUpdate(canary, { weights: [{ destination: 'stable', weight: 80 }, { destination: 'canary', weight: 20 }] });
    expect(weightsOf(plan.object, 1)).toEqual([80, 20]);
    // Exactly the two weights differ: restore them and the objects are deep-equal.
    const restored = structuredClone(plan.object) as unknown as { spec: { http: Array<{ route: Array<{ weight?: number }> }> } };
    restored.spec.http[1]!.route[0]!.weight = 90;
    restored.spec.http[1]!.route[1]!.weight = 10;
    expect(restored).toEqual(canary);
    expect(plan.changes).toEqual([{ route: 'primary', before: { stable: 90, canary: 10 }, after: { stable: 80, canary: 20 } }]);
    expect(plan.changed).toBe(true);
  });

  it('does not touch the header-match route that shares a destination', () => {
    const plan = planWeightUpdate(canary, { weights: [{ destination: 'stable', weight: 0 }, { destination: 'canary', weight: 100 }] });
    expect(weightsOf(plan.object, 0)).toEqual([undefined]);
    expect((plan.object.spec as { http: Array<{ match: unknown }> }).http[0]!.match).toEqual([
      { headers: { 'x-canary': { exact: 'true' } }, withoutHeaders: { 'x-debug': {} } },
    ]);
  });

  it('does not mutate its input', () => {
    const before = structuredClone(canary);
    planWeightUpdate(canary, { weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 50 }] });
    expect(canary).toEqual(before);
  });

  it('matches hosts by short name, namespace form and FQDN (three destinations)', () => {
    const plan = planWeightUpdate(byHost, {
      weights: [
        { destination: 'checkout-v1.payments.svc.cluster.local', weight: 20 },
        { destination: 'checkout-v2', weight: 30 },
        { destination: 'checkout-v3.payments.svc', weight: 50 },
      ],
    });
    expect(weightsOf(plan.object, 0)).toEqual([20, 30, 50]);
  });

  it('without a route name changes every route with exactly the named destinations', () => {
    const plan = planWeightUpdate(twoUnnamedRoutes, { weights: [{ destination: 'v1', weight: 70 }, { destination: 'v2', weight: 30 }] });
    expect(weightsOf(plan.object, 0)).toEqual([70, 30]);
    expect(weightsOf(plan.object, 1)).toEqual([70, 30]);
    expect(plan.changes.map((change) => change.route)).toEqual([0, 1]);
  });

  it('with a route name changes only that route', () => {
    const named = structuredClone(twoUnnamedRoutes);
    (named.spec as { http: Array<{ name?: string }> }).http[1]!.name = 'fallback';
    const plan = planWeightUpdate(named, { route: 'fallback', weights: [{ destination: 'v1', weight: 70 }, { destination: 'v2', weight: 30 }] });
    expect(weightsOf(plan.object, 0)).toEqual([50, 50]);
    expect(weightsOf(plan.object, 1)).toEqual([70, 30]);
  });

  it('reports no change when the weights already have the requested values', () => {
    const plan = planWeightUpdate(canary, { weights: [{ destination: 'stable', weight: 90 }, { destination: 'canary', weight: 10 }] });
    expect(plan.changed).toBe(false);
    expect(plan.object).toEqual(canary);
  });

  it('writes a weight on a sole destination only when it changes (100 is already effective)', () => {
    const plan = planWeightUpdate(canary, { route: 'beta-testers', weights: [{ destination: 'canary', weight: 100 }] });
    expect(plan.changed).toBe(false);
    expect(weightsOf(plan.object, 0)).toEqual([undefined]);
  });

  it.each<[string, IstioObject, WeightRequest, string]>([
    ['an unknown subset', canary, { weights: [{ destination: 'blue', weight: 50 }, { destination: 'stable', weight: 50 }] }, 'UNKNOWN_DESTINATION'],
    ['a subset addressed by host', canary, { weights: [{ destination: 'payment-service', weight: 100 }] }, 'UNKNOWN_DESTINATION'],
    ['a partial set of a route', byHost, { weights: [{ destination: 'checkout-v1', weight: 60 }, { destination: 'checkout-v2', weight: 40 }] }, 'NO_MATCHING_ROUTE'],
    ['an unknown route name', canary, { route: 'nope', weights: [{ destination: 'stable', weight: 100 }] }, 'NO_MATCHING_ROUTE'],
    ['a route name whose set differs', canary, { route: 'beta-testers', weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 50 }] }, 'UNKNOWN_DESTINATION'],
    ['a VirtualService without HTTP routes', vs([], { tcp: [{ route: [{ destination: { host: 'db' } }] }] }), { weights: [{ destination: 'db', weight: 100 }] }, 'UNKNOWN_DESTINATION'],
    ['an invalid split', canary, { weights: [{ destination: 'stable', weight: 50 }, { destination: 'canary', weight: 49 }] }, 'INVALID_WEIGHTS'],
  ])('refuses %s', (_name, object, request, code) => {
    expect(errorCode(() => planWeightUpdate(object, request))).toBe(code);
  });

  it('lists the destinations that exist when one is unknown', () => {
    try {
      planWeightUpdate(canary, { weights: [{ destination: 'blue', weight: 50 }, { destination: 'stable', weight: 50 }] });
      throw new Error('expected an error');
    } catch (error) {
      expect((error as ApiError).message).toContain('existing destinations: canary, stable');
      expect((error as ApiError).details?.availableDestinations).toEqual(['canary', 'stable']);
    }
  });

  it('refuses a destination name that matches two destinations of one route', () => {
    const ambiguous = vs([{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 50 }, { destination: { host: 'ratings', subset: 'v1' }, weight: 50 }] }]);
    expect(errorCode(() => planWeightUpdate(ambiguous, { weights: [{ destination: 'v1', weight: 100 }] }))).toBe('NO_MATCHING_ROUTE');
  });
});
