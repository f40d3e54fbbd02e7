import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createPublicKey, createSecretKey } from 'node:crypto';
import type { Algorithm } from 'jsonwebtoken';
import { ExtractJwt, Strategy, type SecretOrKeyProvider } from 'passport-jwt';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { extractRoles, type AuthUser } from './roles.js';

/** Tokens beyond this size are refused before any crypto work (issuers do not mint 8 KiB tokens). */
export const MAX_TOKEN_LENGTH = 8192;

type KeyCallback = (error: Error | null, key?: string | Buffer) => void;

function algorithmOfHeader(rawJwtToken: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(rawJwtToken.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof header.alg === 'string' ? header.alg : undefined;
  } catch {
    return undefined;
  }
}

function asymmetricAlgorithm(pem: string): 'RS256' | 'ES256' {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`JWT_PUBLIC_KEY must be an RSA or P-256 EC key, got ${key.asymmetricKeyType}`);
}

/**
 * Picks the verification key by the token's declared algorithm, but only among the pinned ones:
 * the HS256 secret is never used for an RS/ES token and a public key is never used as an HMAC
 * secret (the classic algorithm-confusion attack), and `none` has no key at all.
 */
export function buildKeyProvider(jwt: AppConfig['jwt'], timeoutMs: number): { provider: SecretOrKeyProvider; algorithms: Algorithm[] } {
  const asymmetric: Algorithm[] = jwt.publicKey ? [asymmetricAlgorithm(jwt.publicKey)] : jwt.jwksUri ? ['RS256', 'ES256'] : [];
  const algorithms: Algorithm[] = [...(jwt.secret ? (['HS256'] as const) : []), ...asymmetric];
  // jwks-rsa (and the jose library under it) is loaded only when JWT_JWKS_URI is set: ~1.5 MB of idle RSS otherwise.
  const jwksUri = jwt.jwksUri;
  let jwks: Promise<(...args: unknown[]) => void> | undefined;
  const jwksSecret = () =>
    (jwks ??= import('jwks-rsa').then(
      ({ default: jwksRsa }) =>
        jwksRsa.passportJwtSecret({ jwksUri: jwksUri!, cache: true, cacheMaxAge: 600_000, rateLimit: true, jwksRequestsPerMinute: 10, timeout: timeoutMs }) as (...args: unknown[]) => void,
    ));

  // Key objects are built once: given strings, jsonwebtoken converts them on every request.
  const secretKey = jwt.secret ? createSecretKey(Buffer.from(jwt.secret)) : undefined;
  const publicKey = jwt.publicKey ? createPublicKey(jwt.publicKey) : undefined;
  const provider = (request: unknown, rawJwtToken: string, done: KeyCallback) => {
    if (rawJwtToken.length > MAX_TOKEN_LENGTH) return done(new Error('token too large'));
    const alg = algorithmOfHeader(rawJwtToken);
    if (!alg || !(algorithms as string[]).includes(alg)) return done(new Error('token algorithm not accepted'));
    if (alg === 'HS256') return done(null, secretKey as never);
    if (publicKey) return done(null, publicKey as never);
    jwksSecret().then(
      (secret) => {
        try {
          secret(request, rawJwtToken, done);
        } catch (error) {
          done(error as Error);
        }
      },
      (error: Error) => done(error),
    );
  };
  return { provider: provider as SecretOrKeyProvider, algorithms };
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { provider, algorithms } = buildKeyProvider(config.jwt, config.kubernetesTimeoutMs);
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: provider,
      algorithms,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: config.jwt.clockToleranceSeconds },
    });
  }

  validate(payload: Record<string, unknown>): AuthUser | false {
    // A token without a subject cannot be audited; treat it as invalid.
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) return false;
    return { sub: payload.sub, roles: extractRoles(payload, this.config.jwt.rolesClaim) };
  }
}
