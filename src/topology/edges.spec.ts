import type { IstioObject } from '../kubernetes/kubernetes.types.js';
import type { Sample } from '../prometheus/prometheus.response.js';
import { configEdges, mergeTelemetry, observedEdges, serviceRef, type ObservedEdge } from './edges.js';

function vs(name: string, namespace: string, spec: Record<string, unknown> | undefined): IstioObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace }, spec };
}

const bookinfo = [
  vs('reviews', 'bookinfo', {
    hosts: ['reviews'],
    http: [
      {
        name: 'reviews-split',
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 50 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 30 },
          { destination: { host: 'reviews', subset: 'v3' }, weight: 20 },
        ],
      },
    ],
  }),
  vs('bookinfo', 'bookinfo', {
    hosts: ['*'],
    gateways: ['bookinfo-gateway'],
    http: [{ match: [{ uri: { exact: '/productpage' } }], route: [{ destination: { host: 'productpage', port: { number: 9080 } } }] }],
  }),
  vs('productpage', 'bookinfo', { hosts: ['productpage'], http: [{ route: [{ destination: { host: 'productpage', subset: 'v1' } }] }] }),
];

const bb = { sourceNamespace: 'bookinfo', destinationNamespace: 'bookinfo', origin: 'config' };

describe('serviceRef', () => {
  it.each([
    ['reviews', { name: 'reviews', namespace: 'bookinfo' }],
    ['reviews.bookinfo', { name: 'reviews', namespace: 'bookinfo' }],
    ['reviews.other', { name: 'reviews', namespace: 'other' }],
    ['reviews.other.svc', { name: 'reviews', namespace: 'other' }],
    ['reviews.other.svc.cluster.local', { name: 'reviews', namespace: 'other' }],
    ['reviews.other.svc.corp.example', { name: 'reviews', namespace: 'other' }],
    ['Reviews.Other.svc.cluster.local.', { name: 'reviews', namespace: 'other' }],
    ['pay.example.com', { name: 'pay.example.com' }],
    ['api.eu.example.com', { name: 'api.eu.example.com' }],
    ['*', undefined],
    ['*.example.com', undefined],
    ['*.bookinfo.svc.cluster.local', undefined],
    ['', undefined],
    ['  ', undefined],
  ])('%p in bookinfo -> %p', (host, ref) => {
    expect(serviceRef(host, 'bookinfo')).toEqual(ref);
  });
});

describe('configEdges', () => {
  it('bookinfo: a three-way split, a sole unweighted subset route, and a wildcard gateway VirtualService skipped', () => {
    expect(configEdges(bookinfo)).toEqual([
      { source: 'productpage', destination: 'productpage', weight: 100, subset: 'v1', route: 'http[0]', ...bb },
      { source: 'reviews', destination: 'reviews', weight: 50, subset: 'v1', route: 'reviews-split', ...bb },
      { source: 'reviews', destination: 'reviews', weight: 30, subset: 'v2', route: 'reviews-split', ...bb },
      { source: 'reviews', destination: 'reviews', weight: 20, subset: 'v3', route: 'reviews-split', ...bb },
    ]);
  });

  it('the spec example: frontend -> payment-service, payment-service -> database', () => {
    const edges = configEdges([
      vs('frontend', 'payments', { hosts: ['frontend'], http: [{ route: [{ destination: { host: 'payment-service' } }] }] }),
      vs('payment-service', 'payments', { hosts: ['payment-service'], tcp: [{ route: [{ destination: { host: 'database', port: { number: 5432 } }, weight: 100 }] }] }),
    ]);
    expect(edges.map(({ source, destination, weight }) => ({ source, destination, weight }))).toEqual([
      { source: 'frontend', destination: 'payment-service', weight: 100 },
      { source: 'payment-service', destination: 'database', weight: 100 },
    ]);
  });

  it('gateway VirtualService with an external host: the host stays whole and has no namespace', () => {
    const gateway = vs('payments-gateway', 'payments', {
      hosts: ['pay.example.com'],
      gateways: ['istio-system/public-gateway'],
      http: [{ name: 'pay-api', match: [{ uri: { prefix: '/api/pay' } }], route: [{ destination: { host: 'payment-service', port: { number: 8080 } } }] }],
    });
    expect(configEdges([gateway])).toEqual([
      { source: 'pay.example.com', destination: 'payment-service', weight: 100, route: 'pay-api', destinationNamespace: 'payments', origin: 'config' },
    ]);
  });

  it('FQDN hosts (no delegates): short names, namespaces taken from the FQDN', () => {
    const checkout = vs('checkout', 'payments', {
      hosts: ['checkout.payments.svc.cluster.local'],
      http: [
        {
          name: 'version-split',
          route: [
            { destination: { host: 'checkout-v1' }, weight: 50 },
            { destination: { host: 'checkout-v2.payments.svc.cluster.local' }, weight: 30 },
            { destination: { host: 'checkout-v3.payments' }, weight: 20 },
          ],
        },
      ],
    });
    const frontend = vs('frontend', 'frontend', {
      hosts: ['frontend.frontend.svc.cluster.local'],
      http: [
        { name: 'payments-api', route: [{ destination: { host: 'payment-service.payments.svc.cluster.local', port: { number: 8080 } }, weight: 100 }] },
        { route: [{ destination: { host: 'frontend' } }] },
      ],
    });
    const pp = { sourceNamespace: 'payments', destinationNamespace: 'payments', origin: 'config' };
    expect(configEdges([frontend, checkout])).toEqual([
      { source: 'checkout', destination: 'checkout-v1', weight: 50, route: 'version-split', ...pp },
      { source: 'checkout', destination: 'checkout-v2', weight: 30, route: 'version-split', ...pp },
      { source: 'checkout', destination: 'checkout-v3', weight: 20, route: 'version-split', ...pp },
      { source: 'frontend', destination: 'payment-service', weight: 100, route: 'payments-api', sourceNamespace: 'frontend', destinationNamespace: 'payments', origin: 'config' },
      { source: 'frontend', destination: 'frontend', weight: 100, route: 'http[1]', sourceNamespace: 'frontend', destinationNamespace: 'frontend', origin: 'config' },
    ]);
  });

  it('every host of a VirtualService is a source; the same service named twice counts once; wildcards are skipped', () => {
    const edges = configEdges([
      vs('multi', 'shop', {
        hosts: ['cart', 'cart.shop.svc.cluster.local', 'basket', '*.shop.svc.cluster.local'],
        http: [{ route: [{ destination: { host: 'cart', subset: 'v2' } }] }],
      }),
    ]);
    expect(edges.map((edge) => `${edge.source}->${edge.destination}`)).toEqual(['cart->cart', 'basket->cart']);
  });

  it('tcp and tls routes, named by kind and index; http routes keep their name', () => {
    const edges = configEdges([
      vs('db', 'data', {
        hosts: ['db'],
        http: [{ name: 'admin', route: [{ destination: { host: 'db-admin' } }] }],
        tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db-primary' }, weight: 80 }, { destination: { host: 'db-replica' }, weight: 20 }] }],
        tls: [{ match: [{ sniHosts: ['db'] }], route: [{ destination: { host: 'db-tls' } }] }],
      }),
    ]);
    expect(edges.map(({ destination, weight, route }) => [destination, weight, route])).toEqual([
      ['db-admin', 100, 'admin'],
      ['db-primary', 80, 'tcp[0]'],
      ['db-replica', 20, 'tcp[0]'],
      ['db-tls', 100, 'tls[0]'],
    ]);
  });

  it('an unweighted destination among several has weight 0 (Istio default); weight 0 is kept', () => {
    const edges = configEdges([
      vs('a', 'ns', { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', subset: 'x' } }, { destination: { host: 'a', subset: 'y' }, weight: 0 }] }] }),
    ]);
    expect(edges.map((edge) => edge.weight)).toEqual([0, 0]);
  });

  it('the same destination in several routes gives one edge per route', () => {
    const edges = configEdges([
      vs('payment-service', 'payments', {
        hosts: ['payment-service'],
        http: [
          { name: 'beta-testers', route: [{ destination: { host: 'payment-service', subset: 'canary' }, weight: 100 }] },
          { name: 'primary', route: [{ destination: { host: 'payment-service', subset: 'stable' }, weight: 90 }, { destination: { host: 'payment-service', subset: 'canary' }, weight: 10 }] },
        ],
      }),
    ]);
    expect(edges.map(({ subset, weight, route }) => [subset, weight, route])).toEqual([
      ['canary', 100, 'beta-testers'],
      ['stable', 90, 'primary'],
      ['canary', 10, 'primary'],
    ]);
  });

  it.each([
    ['no spec', undefined],
    ['no hosts (a delegate VirtualService)', { http: [{ route: [{ destination: { host: 'a' } }] }] }],
    ['only wildcard hosts', { hosts: ['*'], http: [{ route: [{ destination: { host: 'a' } }] }] }],
    ['a delegate route', { hosts: ['a'], http: [{ match: [{ uri: { prefix: '/x' } }], delegate: { name: 'x', namespace: 'y' } }] }],
    ['malformed routes', { hosts: ['a'], http: 'nope', tcp: [null, 1, { route: 'x' }], tls: [{ route: [{ destination: {} }, { weight: 5 }] }] }],
    ['non-string hosts', { hosts: [1, null, { a: 1 }], http: [{ route: [{ destination: { host: 'a' } }] }] }],
  ])('no edges for %s', (_name, spec) => {
    expect(configEdges([vs('v', 'ns', spec as Record<string, unknown> | undefined)])).toEqual([]);
  });

  it('no VirtualServices: no edges', () => {
    expect(configEdges([])).toEqual([]);
  });
});

function sample(source: string, sourceNs: string, destination: string, destinationNs: string, code: string, value: number, grpc = ''): Sample {
  return {
    labels: {
      source_canonical_service: source,
      source_workload_namespace: sourceNs,
      destination_service_name: destination,
      destination_service_namespace: destinationNs,
      response_code: code,
      grpc_response_status: grpc,
    },
    timestamp: 1_700_000_000,
    value,
  };
}

describe('observedEdges', () => {
  it('sums response codes per pair and classifies failures like the error-rate metric', () => {
    const edges = observedEdges([
      sample('frontend', 'frontend', 'payment-service', 'payments', '200', 7.4),
      sample('frontend', 'frontend', 'payment-service', 'payments', '404', 0.2),
      sample('frontend', 'frontend', 'payment-service', 'payments', '503', 0.4),
      sample('payment-service', 'payments', 'fraud-check', 'payments', '200', 4.8, '0'),
      sample('payment-service', 'payments', 'fraud-check', 'payments', '200', 0.15, '14'),
      sample('payment-service', 'payments', 'fraud-check', 'payments', '200', 0.05, '2'),
      sample('checkout', 'payments', 'payment-service', 'payments', '0', 1),
      sample('checkout', 'payments', 'payment-service', 'payments', '200', 3),
    ]);
    expect(edges).toEqual([
      { source: 'checkout', sourceNamespace: 'payments', destination: 'payment-service', destinationNamespace: 'payments', rps: 4, errorRate: 0.25 },
      { source: 'frontend', sourceNamespace: 'frontend', destination: 'payment-service', destinationNamespace: 'payments', rps: expect.closeTo(8, 9), errorRate: expect.closeTo(0.05, 9) },
      { source: 'payment-service', sourceNamespace: 'payments', destination: 'fraud-check', destinationNamespace: 'payments', rps: expect.closeTo(5, 9), errorRate: expect.closeTo(0.04, 9) },
    ]);
  });

  it('counts a series seen by both directional queries once, and drops idle pairs', () => {
    const inside = sample('productpage', 'bookinfo', 'reviews', 'bookinfo', '200', 10);
    expect(observedEdges([inside, inside, sample('ratings', 'bookinfo', 'details', 'bookinfo', '200', 0)])).toEqual([
      { source: 'productpage', sourceNamespace: 'bookinfo', destination: 'reviews', destinationNamespace: 'bookinfo', rps: 10, errorRate: 0 },
    ]);
  });

  it('names unlabelled sources "unknown" (traffic from outside the mesh)', () => {
    const edges = observedEdges([{ labels: { destination_service_name: 'frontend', destination_service_namespace: 'frontend', response_code: '200' }, timestamp: 0, value: 2 }]);
    expect(edges).toEqual([{ source: 'unknown', sourceNamespace: 'unknown', destination: 'frontend', destinationNamespace: 'frontend', rps: 2, errorRate: 0 }]);
  });
});

describe('mergeTelemetry', () => {
  const observed: ObservedEdge[] = [
    { source: 'frontend', sourceNamespace: 'frontend', destination: 'checkout', destinationNamespace: 'payments', rps: 6, errorRate: 0.06 },
    { source: 'frontend', sourceNamespace: 'frontend', destination: 'payment-service', destinationNamespace: 'payments', rps: 8, errorRate: 0.05 },
    { source: 'istio-ingressgateway', sourceNamespace: 'istio-system', destination: 'frontend', destinationNamespace: 'frontend', rps: 20, errorRate: 0.01 },
  ];
  const config = configEdges([
    vs('frontend', 'frontend', {
      hosts: ['frontend'],
      http: [
        { name: 'payments-api', route: [{ destination: { host: 'payment-service.payments.svc.cluster.local' }, weight: 100 }] },
        { name: 'default', route: [{ destination: { host: 'frontend' } }] },
      ],
    }),
    vs('gw', 'frontend', { hosts: ['shop.example.com'], http: [{ route: [{ destination: { host: 'frontend' } }] }] }),
  ]);

  it('marks configured and observed edges "both", keeps unobserved config edges, appends observed-only edges', () => {
    expect(mergeTelemetry(config, observed)).toEqual([
      {
        source: 'frontend',
        destination: 'payment-service',
        weight: 100,
        route: 'payments-api',
        sourceNamespace: 'frontend',
        destinationNamespace: 'payments',
        origin: 'both',
        rps: 8,
        errorRate: 0.05,
      },
      {
        source: 'frontend',
        destination: 'frontend',
        weight: 100,
        route: 'default',
        sourceNamespace: 'frontend',
        destinationNamespace: 'frontend',
        origin: 'config',
      },
      { source: 'shop.example.com', destination: 'frontend', weight: 100, route: 'http[0]', destinationNamespace: 'frontend', origin: 'config' },
      // Observed only: weight is the share of the source's observed requests (6 of 14, 20 of 20).
      { source: 'frontend', destination: 'checkout', weight: 42.86, sourceNamespace: 'frontend', destinationNamespace: 'payments', origin: 'telemetry', rps: 6, errorRate: 0.06 },
      { source: 'istio-ingressgateway', destination: 'frontend', weight: 100, sourceNamespace: 'istio-system', destinationNamespace: 'frontend', origin: 'telemetry', rps: 20, errorRate: 0.01 },
    ]);
  });

  it('with no traffic every edge stays "config"; with no config only telemetry edges remain', () => {
    expect(mergeTelemetry(config, []).every((edge) => edge.origin === 'config')).toBe(true);
    expect(mergeTelemetry([], observed).map((edge) => edge.origin)).toEqual(['telemetry', 'telemetry', 'telemetry']);
  });

  it('gives every config edge of an observed pair (one per subset) the pair\'s values', () => {
    const split = configEdges([
      vs('reviews', 'bookinfo', {
        hosts: ['productpage'],
        http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 60 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 40 }] }],
      }),
    ]);
    const merged = mergeTelemetry(split, [{ source: 'productpage', sourceNamespace: 'bookinfo', destination: 'reviews', destinationNamespace: 'bookinfo', rps: 10, errorRate: 0.1 }]);
    expect(merged.map(({ origin, weight, rps }) => [origin, weight, rps])).toEqual([
      ['both', 60, 10],
      ['both', 40, 10],
    ]);
  });
});
