import { LRUCache } from 'lru-cache';
import type { AuthUser } from './roles.js';

export interface VerifiedTokenCacheOptions {
  /** How long a verification is reused at most; 0 disables the cache. */
  ttlMs: number;
  /** The clock tolerance the verification allowed on `exp` (a cached token expires exactly when a fresh verification would refuse it). */
  clockToleranceSeconds: number;
  /** Total size of the cached Authorization headers, in characters. */
  maxChars?: number;
  now?: () => number;
}

interface Entry {
  user: AuthUser;
  /** Epoch ms after which the entry must not be used (token expiry + tolerance, or the TTL). */
  usableUntil: number;
}

/**
 * Successful token verifications, remembered briefly per exact Authorization header (as
 * kube-apiserver caches token reviews): a portal polling with one token pays for signature
 * verification (passport, jsonwebtoken, HMAC or RSA) about once a minute instead of on every
 * request; that was a seventh of the list path's CPU.
 *
 * An entry is used only while the token is still within its own `exp` (plus the configured clock
 * tolerance, like jsonwebtoken) and at most `ttlMs` after it was verified, so a key removed from
 * the JWKS stops being honoured within the TTL. Failures are never cached: a refused header is
 * verified (and refused) again. Only the header text that was verified matches: any change to the
 * token (signature, payload, casing of "Bearer") is a miss and is verified in full.
 */
export class VerifiedTokenCache {
  private readonly entries?: LRUCache<string, Entry>;
  private readonly now: () => number;

  constructor(private readonly options: VerifiedTokenCacheOptions) {
    this.now = options.now ?? Date.now;
    if (options.ttlMs > 0) {
      this.entries = new LRUCache<string, Entry>({ maxSize: options.maxChars ?? 4 * 1024 * 1024, sizeCalculation: (_entry, header) => header.length });
    }
  }

  /** The caller of a header verified recently, if it may still be used. */
  get(authorization: string | undefined): AuthUser | undefined {
    if (!this.entries || !authorization) return undefined;
    const entry = this.entries.get(authorization);
    if (!entry) return undefined;
    if (this.now() >= entry.usableUntil) {
      this.entries.delete(authorization);
      return undefined;
    }
    return entry.user;
  }

  /** Remembers a header whose token was just verified; `exp` is read from the (verified) token. */
  remember(authorization: string | undefined, user: AuthUser): void {
    if (!this.entries || !authorization) return;
    const verifiedAt = this.now();
    let usableUntil = verifiedAt + this.options.ttlMs;
    const exp = expiryOf(authorization);
    if (exp !== undefined) usableUntil = Math.min(usableUntil, (exp + this.options.clockToleranceSeconds) * 1000);
    if (usableUntil > verifiedAt) this.entries.set(authorization, { user: Object.freeze({ ...user, roles: Object.freeze([...user.roles]) as string[] }), usableUntil });
  }
}

/** `exp` of a bearer token that has already been verified (so decoding without checking is safe here). */
function expiryOf(authorization: string): number | undefined {
  const payload = authorization.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
