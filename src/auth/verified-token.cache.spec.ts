import { VerifiedTokenCache } from './verified-token.cache.js';

const header = (claims: Record<string, unknown>, signature = 'sig') =>
  `Bearer ${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
const alice = { sub: 'alice', roles: ['admin'] };

function cacheAt(start: number, options: { ttlMs?: number; clockToleranceSeconds?: number; maxChars?: number } = {}) {
  const clock = { now: start };
  const cache = new VerifiedTokenCache({ ttlMs: 60_000, clockToleranceSeconds: 30, ...options, now: () => clock.now });
  return { clock, cache };
}

describe('VerifiedTokenCache', () => {
  const t0 = 1_800_000_000_000; // epoch ms

  it('returns the caller of a remembered header until the TTL ends', () => {
    const { clock, cache } = cacheAt(t0);
    const token = header({ sub: 'alice', exp: t0 / 1000 + 3600 });
    expect(cache.get(token)).toBeUndefined();
    cache.remember(token, alice);
    expect(cache.get(token)).toEqual(alice);
    clock.now += 59_999;
    expect(cache.get(token)).toEqual(alice);
    clock.now += 1;
    expect(cache.get(token)).toBeUndefined();
  });

  it('never past the token exp plus the clock tolerance (when a fresh verification would refuse it)', () => {
    const { clock, cache } = cacheAt(t0, { clockToleranceSeconds: 30 });
    const token = header({ sub: 'alice', exp: t0 / 1000 + 10 });
    cache.remember(token, alice);
    clock.now += 39_999;
    expect(cache.get(token)).toEqual(alice);
    clock.now += 1;
    expect(cache.get(token)).toBeUndefined();
  });

  it('does not keep a token that is already past exp + tolerance, and ignores a non-numeric exp (TTL only)', () => {
    const { clock, cache } = cacheAt(t0, { clockToleranceSeconds: 0 });
    const expired = header({ sub: 'alice', exp: t0 / 1000 });
    cache.remember(expired, alice);
    expect(cache.get(expired)).toBeUndefined();
    const odd = header({ sub: 'alice', exp: 'tomorrow' });
    cache.remember(odd, alice);
    clock.now += 59_999;
    expect(cache.get(odd)).toEqual(alice);
  });

  it('matches the exact header only: another signature, payload or scheme casing is a miss', () => {
    const { cache } = cacheAt(t0);
    const token = header({ sub: 'alice' });
    cache.remember(token, alice);
    expect(cache.get(header({ sub: 'alice' }, 'forged'))).toBeUndefined();
    expect(cache.get(header({ sub: 'mallory' }))).toBeUndefined();
    expect(cache.get(token.replace('Bearer', 'bearer'))).toBeUndefined();
    expect(cache.get(undefined)).toBeUndefined();
  });

  it('hands out a frozen copy: a handler cannot grant itself roles for later requests', () => {
    const { cache } = cacheAt(t0);
    const token = header({ sub: 'bob' });
    const user = { sub: 'bob', roles: ['viewer'] };
    cache.remember(token, user);
    user.roles.push('admin');
    const cached = cache.get(token)!;
    expect(cached.roles).toEqual(['viewer']);
    expect(() => cached.roles.push('admin')).toThrow(TypeError);
  });

  it('with a TTL of 0 remembers nothing', () => {
    const { cache } = cacheAt(t0, { ttlMs: 0 });
    const token = header({ sub: 'alice' });
    cache.remember(token, alice);
    expect(cache.get(token)).toBeUndefined();
  });

  it('is bounded by the total size of the headers it keeps (least recently used go first)', () => {
    const { cache } = cacheAt(t0, { maxChars: 1_000 });
    const tokens = Array.from({ length: 20 }, (_, i) => header({ sub: `user-${i}`, pad: 'x'.repeat(100) }));
    for (const token of tokens) cache.remember(token, alice);
    const kept = tokens.filter((token) => cache.get(token) !== undefined);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.reduce((sum, token) => sum + token.length, 0)).toBeLessThanOrEqual(1_000);
    expect(cache.get(tokens[19])).toEqual(alice);
    expect(cache.get(tokens[0])).toBeUndefined();
  });
});
