import { existsSync, readFileSync } from 'node:fs';

/**
 * Every environment variable the service reads, with its parser. The table is the single source
 * for start-up validation and for the README's configuration table (a unit test keeps them in step).
 */
export interface AppConfig {
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  kubeconfigPath?: string;
  kubernetesTimeoutMs: number;
  watchCache: { enabled: boolean; maxObjects: number; livenessWindowMs: number };
  weightUpdateMaxAttempts: number;
  overrides: {
    enabled: boolean;
    allowedServers: string[];
    maxBytes: number;
    cacheSize: number;
  };
  prometheus: {
    url?: string;
    timeoutMs: number;
    bearerToken?: string;
    username?: string;
    password?: string;
    headers: Record<string, string>;
    cacheTtlMs: number;
  };
  jwt: {
    secret?: string;
    publicKey?: string;
    jwksUri?: string;
    issuer?: string;
    audience?: string[];
    rolesClaim: string;
    adminRole: string;
    clockToleranceSeconds: number;
    cacheTtlMs: number;
  };
  http: {
    bodyLimitBytes: number;
    corsOrigins: string[];
    rateLimitPerMinute: number;
    trustProxy: boolean;
  };
  docsEnabled: boolean;
}

export class ConfigValidationError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigValidationError';
  }
}

export interface VariableDoc {
  name: string;
  default: string;
  description: string;
  sensitive?: boolean;
}

/** Documentation of each variable; `loadConfig` below reads exactly these names. */
export const CONFIG_VARIABLES: VariableDoc[] = [
  { name: 'PORT', default: '3000', description: 'TCP port the HTTP server listens on.' },
  { name: 'HOST', default: '127.0.0.1', description: 'Address to bind. Use 0.0.0.0 in containers.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug or trace. Logs are JSON lines.' },
  {
    name: 'KUBECONFIG_PATH',
    default: '(in-cluster service account)',
    description:
      'Kubeconfig file of the default cluster. Without it the in-cluster service account is used when running in a pod; otherwise Kubernetes endpoints answer 503 CLUSTER_NOT_CONFIGURED.',
  },
  { name: 'KUBERNETES_TIMEOUT_MS', default: '10000', description: 'Timeout of every call to the Kubernetes API.' },
  {
    name: 'KUBERNETES_WATCH_CACHE',
    default: 'true',
    description: 'Serve list reads of the default cluster from watch-backed caches (needs cluster-wide list/watch on the Istio types; falls back to direct reads without it).',
  },
  { name: 'KUBERNETES_WATCH_CACHE_MAX_OBJECTS', default: '10000', description: 'Largest number of objects cached per resource type; beyond it reads go to the API server.' },
  {
    name: 'KUBERNETES_LIVENESS_WINDOW_MS',
    default: '250',
    description:
      'A cached read is served only if the API server answered a probe sent at most this long before; so a frozen API server gives 503 (after KUBERNETES_TIMEOUT_MS) instead of cached data older than this. 0: every read waits for a probe of its own.',
  },
  {
    name: 'WEIGHT_UPDATE_MAX_ATTEMPTS',
    default: '5',
    description: 'How often a weight update re-reads and re-applies after a resourceVersion conflict before answering 409.',
  },
  {
    name: 'KUBECONFIG_OVERRIDES_ENABLED',
    default: 'true',
    description: 'Whether callers may pass their own kubeconfig (query `kubeconfig`, header `X-Kubeconfig`, body field on PATCH). `false` answers 400 OVERRIDE_DISABLED.',
  },
  {
    name: 'KUBECONFIG_OVERRIDE_ALLOWED_SERVERS',
    default: '(any https server)',
    description: 'Comma-separated https origins (e.g. `https://10.0.0.1:6443`) an override may target. Others answer 400.',
  },
  { name: 'KUBECONFIG_OVERRIDE_MAX_BYTES', default: '65536', description: 'Largest accepted override (base64 text).' },
  { name: 'KUBECONFIG_OVERRIDE_CACHE_SIZE', default: '100', description: 'How many distinct override clients are kept (LRU).' },
  { name: 'PROMETHEUS_URL', default: '(none)', description: 'Prometheus (or Thanos/Mimir query frontend) base URL. Metrics endpoints answer 503 without it.' },
  { name: 'PROMETHEUS_TIMEOUT_MS', default: '10000', description: 'Timeout of every Prometheus query.' },
  { name: 'PROMETHEUS_BEARER_TOKEN', default: '(none)', description: 'Bearer token sent to Prometheus.', sensitive: true },
  { name: 'PROMETHEUS_USERNAME', default: '(none)', description: 'Basic-auth user for Prometheus.' },
  { name: 'PROMETHEUS_PASSWORD', default: '(none)', description: 'Basic-auth password for Prometheus.', sensitive: true },
  {
    name: 'PROMETHEUS_HEADERS',
    default: '(none)',
    description: 'Extra headers for Prometheus as a JSON object, e.g. `{"X-Scope-OrgID":"team-a"}`.',
    sensitive: true,
  },
  { name: 'PROMETHEUS_CACHE_TTL_MS', default: '5000', description: 'How long identical query results are reused. 0 disables the cache (concurrent identical queries are still sent once).' },
  { name: 'JWT_SECRET', default: '(none)', description: 'HS256 shared secret (at least 32 characters).', sensitive: true },
  { name: 'JWT_PUBLIC_KEY', default: '(none)', description: 'PEM public key (RSA for RS256, EC P-256 for ES256), inline or a file path.' },
  { name: 'JWT_JWKS_URI', default: '(none)', description: 'JWKS URL of the identity provider (RS256/ES256 keys, cached).' },
  { name: 'JWT_ISSUER', default: '(not checked)', description: 'Required `iss` of tokens.' },
  { name: 'JWT_AUDIENCE', default: '(not checked)', description: 'Accepted `aud` values, comma-separated.' },
  { name: 'JWT_ROLES_CLAIM', default: 'roles', description: 'Dotted path of the roles claim, e.g. `realm_access.roles` (Keycloak) or `groups` (Dex). Array or space/comma-separated string.' },
  { name: 'JWT_ADMIN_ROLE', default: 'admin', description: 'Role required to change traffic weights.' },
  { name: 'JWT_CLOCK_TOLERANCE_SECONDS', default: '30', description: 'Allowed clock skew for `exp`/`nbf`.' },
  {
    name: 'JWT_CACHE_TTL_MS',
    default: '60000',
    description:
      'How long a verified token (the exact Authorization header) is trusted without verifying its signature again; never past its own `exp`. Bounds how long a key removed from the JWKS is still honoured. 0 verifies every request.',
  },
  { name: 'BODY_LIMIT_BYTES', default: '1048576', description: 'Largest request body; larger bodies answer 413.' },
  { name: 'CORS_ORIGINS', default: '(CORS off)', description: 'Comma-separated origins allowed to call the API from a browser (the portal).' },
  { name: 'RATE_LIMIT_PER_MINUTE', default: '600', description: 'Requests per minute per caller (JWT `sub`, else client address). 0 disables.' },
  { name: 'TRUST_PROXY', default: 'false', description: 'Trust X-Forwarded-* headers (behind an ingress).' },
  { name: 'API_DOCS_ENABLED', default: 'true', description: 'Serve Swagger UI at /api/docs and the document at /api/docs-json.' },
];

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigValidationError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigValidationError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigValidationError(name, `must be true or false, got "${raw}"`);
}

function list(env: Env, name: string): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function httpUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigValidationError(name, `must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigValidationError(name, `must use ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
  return raw.replace(/\/+$/, '');
}

/** Normalises an https URL to its origin so the allow-list compares like with like. */
export function serverOrigin(raw: string): string {
  const url = new URL(raw);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.protocol}//${url.hostname.toLowerCase()}:${port}`;
}

function publicKey(env: Env): string | undefined {
  const raw = read(env, 'JWT_PUBLIC_KEY');
  if (raw === undefined) return undefined;
  const pem = raw.includes('-----BEGIN') ? raw.replace(/\\n/g, '\n') : readKeyFile(raw);
  if (!pem.includes('-----BEGIN PUBLIC KEY-----') && !pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigValidationError('JWT_PUBLIC_KEY', 'must be a PEM public key or certificate (or the path of one)');
  }
  return pem;
}

function readKeyFile(path: string): string {
  if (!existsSync(path)) throw new ConfigValidationError('JWT_PUBLIC_KEY', `is neither a PEM key nor an existing file: ${path}`);
  return readFileSync(path, 'utf8');
}

function prometheusHeaders(env: Env): Record<string, string> {
  const raw = read(env, 'PROMETHEUS_HEADERS');
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigValidationError('PROMETHEUS_HEADERS', 'must be a JSON object of header names to string values');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigValidationError('PROMETHEUS_HEADERS', 'must be a JSON object of header names to string values');
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9-]+$/.test(key)) {
      throw new ConfigValidationError('PROMETHEUS_HEADERS', `has an invalid entry "${key}"`);
    }
  }
  return parsed as Record<string, string>;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** Reads and validates the environment once at start-up. Throws ConfigValidationError naming the variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigValidationError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const kubeconfigPath = read(env, 'KUBECONFIG_PATH');
  if (kubeconfigPath !== undefined && !existsSync(kubeconfigPath)) {
    throw new ConfigValidationError('KUBECONFIG_PATH', `points to a missing file: ${kubeconfigPath}`);
  }

  const secret = read(env, 'JWT_SECRET');
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigValidationError('JWT_SECRET', 'must be at least 32 characters (HS256 needs a strong key)');
  }
  const jwksUri = httpUrl(env, 'JWT_JWKS_URI', ['https:', 'http:']);
  const key = publicKey(env);
  if (!secret && !jwksUri && !key) {
    throw new ConfigValidationError('JWT_SECRET', 'is missing: set JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URI so tokens can be verified');
  }
  if (key && jwksUri) {
    throw new ConfigValidationError('JWT_PUBLIC_KEY', 'and JWT_JWKS_URI are both set: choose one source of asymmetric keys');
  }

  const rolesClaim = read(env, 'JWT_ROLES_CLAIM') ?? 'roles';
  if (!/^[A-Za-z0-9_:\-/.]+$/.test(rolesClaim) || rolesClaim.split('.').some((part) => part === '')) {
    throw new ConfigValidationError('JWT_ROLES_CLAIM', `must be a dotted claim path, got "${rolesClaim}"`);
  }

  const allowedServers = list(env, 'KUBECONFIG_OVERRIDE_ALLOWED_SERVERS').map((server) => {
    try {
      if (new URL(server).protocol !== 'https:') throw new Error();
      return serverOrigin(server);
    } catch {
      throw new ConfigValidationError('KUBECONFIG_OVERRIDE_ALLOWED_SERVERS', `has an entry that is not an https URL: "${server}"`);
    }
  });

  const audience = list(env, 'JWT_AUDIENCE');
  const username = read(env, 'PROMETHEUS_USERNAME');
  const password = read(env, 'PROMETHEUS_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigValidationError('PROMETHEUS_PASSWORD', 'and PROMETHEUS_USERNAME must be set together');
  }

  const corsOrigins = list(env, 'CORS_ORIGINS');
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigValidationError('CORS_ORIGINS', `has an entry that is not an origin: "${origin}"`);
    }
  }

  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: read(env, 'HOST') ?? '127.0.0.1',
    logLevel: logLevel as AppConfig['logLevel'],
    kubeconfigPath,
    kubernetesTimeoutMs: integer(env, 'KUBERNETES_TIMEOUT_MS', 10_000, 100, 300_000),
    watchCache: {
      enabled: boolean(env, 'KUBERNETES_WATCH_CACHE', true),
      maxObjects: integer(env, 'KUBERNETES_WATCH_CACHE_MAX_OBJECTS', 10_000, 1, 1_000_000),
      livenessWindowMs: integer(env, 'KUBERNETES_LIVENESS_WINDOW_MS', 250, 0, 10_000),
    },
    weightUpdateMaxAttempts: integer(env, 'WEIGHT_UPDATE_MAX_ATTEMPTS', 5, 1, 20),
    overrides: {
      enabled: boolean(env, 'KUBECONFIG_OVERRIDES_ENABLED', true),
      allowedServers,
      maxBytes: integer(env, 'KUBECONFIG_OVERRIDE_MAX_BYTES', 65_536, 1024, 1_048_576),
      cacheSize: integer(env, 'KUBECONFIG_OVERRIDE_CACHE_SIZE', 100, 1, 10_000),
    },
    prometheus: {
      url: httpUrl(env, 'PROMETHEUS_URL', ['http:', 'https:']),
      timeoutMs: integer(env, 'PROMETHEUS_TIMEOUT_MS', 10_000, 100, 300_000),
      bearerToken: read(env, 'PROMETHEUS_BEARER_TOKEN'),
      username,
      password,
      headers: prometheusHeaders(env),
      cacheTtlMs: integer(env, 'PROMETHEUS_CACHE_TTL_MS', 5_000, 0, 600_000),
    },
    jwt: {
      secret,
      publicKey: key,
      jwksUri,
      issuer: read(env, 'JWT_ISSUER'),
      audience: audience.length > 0 ? audience : undefined,
      rolesClaim,
      adminRole: read(env, 'JWT_ADMIN_ROLE') ?? 'admin',
      clockToleranceSeconds: integer(env, 'JWT_CLOCK_TOLERANCE_SECONDS', 30, 0, 600),
      cacheTtlMs: integer(env, 'JWT_CACHE_TTL_MS', 60_000, 0, 3_600_000),
    },
    http: {
      bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
      corsOrigins,
      rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
      trustProxy: boolean(env, 'TRUST_PROXY', false),
    },
    docsEnabled: boolean(env, 'API_DOCS_ENABLED', true),
  };
}
