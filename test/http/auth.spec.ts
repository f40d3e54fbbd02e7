import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwtStrategy } from '../../src/auth/jwt.strategy.js';
import { ClusterClientFactory } from '../../src/kubernetes/cluster-client.factory.js';
import { VIRTUAL_SERVICES } from '../../src/kubernetes/kubernetes.types.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { writeDefaultKubeconfig } from '../support/fake-kubeconfig.js';
import { buildTestApp, rsaKeyPair, signToken, testConfig, TEST_SECRET } from '../support/test-app.js';

const LIST = '/api/v1/istio/virtual-services?namespace=payments';
const PATCH = '/api/v1/istio/virtual-services/payments/app/weights';
const now = () => Math.floor(Date.now() / 1000);

function seeded(): FakeCluster {
  const cluster = new FakeCluster();
  cluster.put(VIRTUAL_SERVICES, {
    metadata: { name: 'app', namespace: 'payments' },
    spec: { hosts: ['app'], http: [{ route: [{ destination: { host: 'app', subset: 'a' }, weight: 50 }, { destination: { host: 'app', subset: 'b' }, weight: 50 }] }] },
  });
  return cluster;
}

async function appWith(env: Record<string, string>, cluster = seeded()) {
  return buildTestApp(testConfig({ KUBECONFIG_PATH: writeDefaultKubeconfig(), ...env }), (builder) =>
    builder.overrideProvider(ClusterClientFactory).useValue({ create: () => cluster.asClient() }),
  );
}

async function status(app: NestFastifyApplication, token: string | undefined, method: 'GET' | 'PATCH' = 'GET') {
  const response = await app.inject({
    method,
    url: method === 'GET' ? LIST : PATCH,
    headers: token === undefined ? {} : { authorization: token.startsWith('Basic') ? token : `Bearer ${token}` },
    ...(method === 'PATCH' ? { payload: { weights: [{ destination: 'a', weight: 20 }, { destination: 'b', weight: 80 }] } } : {}),
  });
  return { status: response.statusCode, body: response.json() as { code: string; message: string } };
}

describe('authentication and roles (HS256)', () => {
  let app: NestFastifyApplication;
  const { publicKey, privateKey } = rsaKeyPair();
  beforeAll(async () => {
    app = await appWith({ JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'istio-api,portal' });
  });
  afterAll(() => app.close());

  const valid = (claims: Record<string, unknown> = {}) => signToken({ sub: 'alice', roles: ['admin'], iss: 'https://idp.example', aud: 'portal', ...claims });

  it('accepts a valid token', async () => {
    expect((await status(app, valid())).status).toBe(200);
  });

  it.each<[string, string | undefined, string]>([
    ['no token', undefined, 'Missing bearer token'],
    ['a Basic header', 'Basic YWxpY2U6cHc=', 'Missing bearer token'],
    ['a malformed token', 'not.a.jwt', 'Bearer token is invalid'],
    ['alg none', signToken({ sub: 'alice', roles: ['admin'], iss: 'https://idp.example', aud: 'portal' }, { alg: 'none' }), 'Bearer token is invalid'],
    ['an expired token', signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'portal', exp: now() - 120 }), 'Bearer token has expired'],
    ['nbf in the future', signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'portal', nbf: now() + 3600 }), 'Bearer token is not valid yet'],
    ['the wrong issuer', signToken({ sub: 'alice', iss: 'https://evil.example', aud: 'portal' }), 'Bearer token has the wrong issuer'],
    ['the wrong audience', signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'other' }), 'Bearer token has the wrong audience'],
    ['a wrong secret', signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'portal' }, { secret: 'x'.repeat(40) }), 'Bearer token is invalid'],
    ['HS512 (not pinned)', signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'portal' }, { alg: 'HS512' }), 'Bearer token is invalid'],
    ['RS256 when only HS256 is configured', signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'portal' }, { alg: 'RS256', privateKey }), 'Bearer token is invalid'],
    ['a tampered payload', (() => { const [h, , s] = valid().split('.'); return `${h}.${Buffer.from(JSON.stringify({ sub: 'mallory', roles: ['admin'], iss: 'https://idp.example', aud: 'portal', exp: now() + 60 })).toString('base64url')}.${s}`; })(), 'Bearer token is invalid'],
    ['an oversize token', signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'portal', pad: 'x'.repeat(9000) }), 'Bearer token is invalid'],
    ['a token without sub', signToken({ iss: 'https://idp.example', aud: 'portal', roles: ['admin'] }), 'Bearer token is invalid'],
  ])('answers 401 to %s', async (_name, token, message) => {
    const result = await status(app, token);
    expect(result).toEqual({ status: 401, body: expect.objectContaining({ code: 'UNAUTHORIZED', message, statusCode: 401 }) });
  });

  it('does not accept the HS256 secret to verify an RS-signed token, nor a public key as HMAC secret', async () => {
    // Algorithm confusion: HS256 signed with the RSA public key text as secret.
    const confused = signToken({ sub: 'alice', iss: 'https://idp.example', aud: 'portal' }, { secret: publicKey });
    expect((await status(app, confused)).status).toBe(401);
  });

  it.each<[string, unknown, number]>([
    ['roles array with admin', ['viewer', 'admin'], 200],
    ['roles string "admin"', 'admin', 200],
    ['roles space-separated string', 'viewer admin', 200],
    ['roles without admin', ['viewer'], 403],
    ['roles empty string', '', 403],
    ['roles as an object', { admin: true }, 403],
    ['roles as a number', 1, 403],
    ['no roles claim', undefined, 403],
  ])('weights PATCH with %s -> %i', async (_name, roles, expected) => {
    const result = await status(app, valid({ roles }), 'PATCH');
    expect(result.status).toBe(expected);
    if (expected === 403) expect(result.body).toMatchObject({ code: 'FORBIDDEN', message: 'This action requires the role: admin' });
  });

  it('reads need no role', async () => {
    expect((await status(app, valid({ roles: [] }))).status).toBe(200);
  });
});

describe('authentication with configured claim paths and asymmetric keys', () => {
  it('reads roles from a dotted claim path and a custom admin role', async () => {
    const app = await appWith({ JWT_ROLES_CLAIM: 'realm_access.roles', JWT_ADMIN_ROLE: 'mesh-admin' });
    try {
      const token = (roles: unknown) => signToken({ sub: 'kc-user', realm_access: { roles } });
      expect((await status(app, token(['mesh-admin']), 'PATCH')).status).toBe(200);
      expect((await status(app, token(['admin']), 'PATCH')).status).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('verifies RS256 with JWT_PUBLIC_KEY and refuses HS256 tokens signed with that key', async () => {
    const { publicKey, privateKey } = rsaKeyPair();
    const app = await appWith({ JWT_SECRET: '', JWT_PUBLIC_KEY: publicKey });
    try {
      expect((await status(app, signToken({ sub: 'a', roles: ['admin'] }, { alg: 'RS256', privateKey }))).status).toBe(200);
      expect((await status(app, signToken({ sub: 'a', roles: ['admin'] }, { alg: 'HS256', secret: publicKey }))).status).toBe(401);
      expect((await status(app, signToken({ sub: 'a', roles: ['admin'] }, { secret: TEST_SECRET }))).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('verifies ES256 with an EC public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const app = await appWith({ JWT_SECRET: '', JWT_PUBLIC_KEY: publicKey });
    try {
      expect((await status(app, signToken({ sub: 'a' }, { alg: 'ES256', privateKey }))).status).toBe(200);
      expect((await status(app, signToken({ sub: 'a' }, { alg: 'RS256', privateKey: rsaKeyPair().privateKey }))).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('verified-token cache (JWT_CACHE_TTL_MS)', () => {
  const verifications = (app: NestFastifyApplication) => jest.spyOn(app.get(JwtStrategy), 'validate');

  it('verifies a header once and serves repeats from the cache, with the same roles', async () => {
    const app = await appWith({});
    try {
      const validate = verifications(app);
      const admin = signToken({ sub: 'alice', roles: ['admin'] });
      for (let i = 0; i < 5; i++) expect((await status(app, admin)).status).toBe(200);
      expect((await status(app, admin, 'PATCH')).status).toBe(200);
      expect(validate).toHaveBeenCalledTimes(1);
      // A cached viewer stays a viewer.
      const viewer = signToken({ sub: 'bob', roles: ['viewer'] });
      expect((await status(app, viewer)).status).toBe(200);
      expect((await status(app, viewer, 'PATCH')).status).toBe(403);
      expect(validate).toHaveBeenCalledTimes(2);
      // Another signature on the same claims is verified (and refused), not matched to the cached one.
      const [h, p] = admin.split('.');
      expect((await status(app, `${h}.${p}.${'A'.repeat(43)}`)).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('a cached token stops working when it expires (exp + JWT_CLOCK_TOLERANCE_SECONDS)', async () => {
    const app = await appWith({ JWT_CLOCK_TOLERANCE_SECONDS: '0' });
    try {
      const expSeconds = Math.floor(Date.now() / 1000) + 2;
      const shortLived = signToken({ sub: 'alice', roles: ['admin'], exp: expSeconds });
      expect((await status(app, shortLived)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expSeconds * 1000 - Date.now()) + 50));
      expect(await status(app, shortLived)).toEqual({ status: 401, body: expect.objectContaining({ message: 'Bearer token has expired' }) });
    } finally {
      await app.close();
    }
  });

  it('JWT_CACHE_TTL_MS=0 verifies every request', async () => {
    const app = await appWith({ JWT_CACHE_TTL_MS: '0' });
    try {
      const validate = verifications(app);
      const token = signToken({ sub: 'alice', roles: ['admin'] });
      for (let i = 0; i < 3; i++) expect((await status(app, token)).status).toBe(200);
      expect(validate).toHaveBeenCalledTimes(3);
    } finally {
      await app.close();
    }
  });

  it('strict input checks run after authentication: an unauthenticated odd query answers 401, an authenticated one 400', async () => {
    const app = await appWith({});
    try {
      const odd = await app.inject({ method: 'GET', url: `${LIST}&toString=1` });
      expect(odd.statusCode).toBe(401);
      const authenticated = await app.inject({ method: 'GET', url: `${LIST}&toString=1`, headers: { authorization: `Bearer ${signToken({ sub: 'alice' })}` } });
      expect(authenticated.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });
});

describe('keys from a JWKS endpoint (JWT_JWKS_URI)', () => {
  const signing = rsaKeyPair();
  const other = rsaKeyPair();
  let server: Server;
  let jwksUri: string;
  let requests = 0;

  beforeAll(async () => {
    const jwk = { ...createPublicKey(signing.publicKey).export({ format: 'jwk' }), kid: 'key-1', use: 'sig', alg: 'RS256' };
    server = createServer((request, response) => {
      requests++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies RS256 tokens with the key named by kid, fetching the key set once; other keys and HS256 are refused', async () => {
    const app = await appWith({ JWT_SECRET: '', JWT_JWKS_URI: jwksUri });
    try {
      const token = (claims: Record<string, unknown>, privateKey = signing.privateKey, kid = 'key-1') => signToken(claims, { alg: 'RS256', privateKey, header: { kid } });
      expect((await status(app, token({ sub: 'alice', roles: ['admin'] }))).status).toBe(200);
      expect((await status(app, token({ sub: 'bob', roles: ['viewer'] }))).status).toBe(200);
      expect(requests).toBe(1);
      expect((await status(app, token({ sub: 'mallory' }, other.privateKey))).status).toBe(401);
      expect((await status(app, token({ sub: 'mallory' }, signing.privateKey, 'unknown-key'))).status).toBe(401);
      expect((await status(app, signToken({ sub: 'mallory' }))).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('an unreachable JWKS endpoint: 401, the service stays up', async () => {
    const app = await appWith({ JWT_SECRET: '', JWT_JWKS_URI: 'http://127.0.0.1:9/jwks.json' });
    try {
      const result = await status(app, signToken({ sub: 'alice' }, { alg: 'RS256', privateKey: signing.privateKey, header: { kid: 'key-1' } }));
      expect(result.status).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
