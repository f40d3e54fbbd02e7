import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSign, createHmac, generateKeyPairSync } from 'node:crypto';
import { configureApp, fastifyAdapter } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import { type AppConfig, loadConfig } from '../../src/config/app-config.js';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export function testConfig(env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({ JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'error', KUBERNETES_TIMEOUT_MS: '2000', ...env });
}

/** The real app module, with providers swapped by `override` (fakes of external systems only). */
export async function buildTestApp(
  config: AppConfig,
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<NestFastifyApplication> {
  const moduleRef = await override(Test.createTestingModule({ imports: [AppModule.forRoot(config)] })).compile();
  moduleRef.useLogger(false);
  const app = moduleRef.createNestApplication<NestFastifyApplication>(fastifyAdapter(config, false), { logger: false });
  await configureApp(app, config);
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** Signs a JWT by hand so tests can also build malformed and hostile tokens. */
export function signToken(
  claims: Record<string, unknown>,
  options: { secret?: string; alg?: string; header?: Record<string, unknown>; privateKey?: string } = {},
): string {
  const alg = options.alg ?? 'HS256';
  const header = base64url(JSON.stringify({ alg, typ: 'JWT', ...options.header }));
  const now = Math.floor(Date.now() / 1000);
  const payload = base64url(JSON.stringify({ iat: now, exp: now + 300, ...claims }));
  const input = `${header}.${payload}`;
  if (alg === 'none') return `${input}.`;
  if (alg.startsWith('HS')) return `${input}.${createHmac(`sha${alg.slice(2)}`, options.secret ?? TEST_SECRET).update(input).digest('base64url')}`;
  const signer = createSign('SHA256').update(input);
  const signature = signer.sign(alg.startsWith('ES') ? { key: options.privateKey!, dsaEncoding: 'ieee-p1363' } : options.privateKey!);
  return `${input}.${base64url(signature)}`;
}

export const adminToken = (sub = 'alice') => signToken({ sub, roles: ['admin'] });
export const viewerToken = (sub = 'bob') => signToken({ sub, roles: ['viewer'] });

export function rsaKeyPair() {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
}
