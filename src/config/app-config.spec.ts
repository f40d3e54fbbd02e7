import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES, ConfigValidationError, loadConfig } from './app-config.js';

const base = { JWT_SECRET: 's'.repeat(32) };

function failure(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      kubernetesTimeoutMs: 10_000,
      overrides: { enabled: true, allowedServers: [], maxBytes: 65_536, cacheSize: 100 },
      jwt: { rolesClaim: 'roles', adminRole: 'admin', clockToleranceSeconds: 30 },
      prometheus: { timeoutMs: 10_000, cacheTtlMs: 5_000, headers: {} },
    });
  });

  it.each<[Record<string, string>, string]>([
    [{ JWT_SECRET: '' }, 'JWT_SECRET is missing'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 characters'],
    [{ PORT: 'eighty' }, 'PORT must be a whole number'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535'],
    [{ KUBECONFIG_PATH: '/nonexistent/kubeconfig' }, 'KUBECONFIG_PATH points to a missing file'],
    [{ PROMETHEUS_URL: 'ftp://prom' }, 'PROMETHEUS_URL must use http: or https:'],
    [{ PROMETHEUS_URL: 'not a url' }, 'PROMETHEUS_URL must be a URL'],
    [{ PROMETHEUS_HEADERS: '{"X-Scope-OrgID": 5}' }, 'PROMETHEUS_HEADERS has an invalid entry'],
    [{ PROMETHEUS_USERNAME: 'u' }, 'PROMETHEUS_PASSWORD and PROMETHEUS_USERNAME must be set together'],
    [{ KUBECONFIG_OVERRIDES_ENABLED: 'maybe' }, 'KUBECONFIG_OVERRIDES_ENABLED must be true or false'],
    [{ KUBECONFIG_OVERRIDE_ALLOWED_SERVERS: 'http://10.0.0.1:6443' }, 'KUBECONFIG_OVERRIDE_ALLOWED_SERVERS has an entry that is not an https URL'],
    [{ JWT_ROLES_CLAIM: 'realm_access..roles' }, 'JWT_ROLES_CLAIM must be a dotted claim path'],
    [{ JWT_PUBLIC_KEY: '/nonexistent.pem' }, 'JWT_PUBLIC_KEY is neither a PEM key nor an existing file'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of'],
    [{ CORS_ORIGINS: 'portal.example.com' }, 'CORS_ORIGINS has an entry that is not an origin'],
  ])('refuses %j', (env, message) => {
    expect(failure(env)).toContain(message);
  });

  it('normalises the override allow-list to origins', () => {
    expect(loadConfig({ ...base, KUBECONFIG_OVERRIDE_ALLOWED_SERVERS: 'https://API.example.com, https://10.0.0.1:6443/' }).overrides.allowedServers).toEqual([
      'https://api.example.com:443',
      'https://10.0.0.1:6443',
    ]);
  });

  it('every variable it documents appears in the README configuration table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = CONFIG_VARIABLES.filter((variable) => !readme.includes(`| \`${variable.name}\``)).map((variable) => variable.name);
    expect(missing).toEqual([]);
  });
});
