/**
 * Reads the caller's roles from a verified JWT payload. Identity providers put roles in different
 * claims (`roles`, Keycloak `realm_access.roles`, Dex `groups`), as an array or a space/comma
 * separated string; anything else (objects, numbers) yields no roles rather than an error.
 */
export function extractRoles(payload: unknown, claimPath: string): string[] {
  let value: unknown = payload;
  for (const key of claimPath.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string' && role.length > 0);
  return [];
}

/** The authenticated caller as handlers see it. */
export interface AuthUser {
  sub: string;
  roles: string[];
}
