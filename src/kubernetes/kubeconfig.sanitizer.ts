import { createHash, X509Certificate } from 'node:crypto';
import { parseDocument } from 'yaml';
import { ApiError } from '../common/api-error.js';
import { serverOrigin } from '../config/app-config.js';

/**
 * A caller-supplied kubeconfig reduced to passive data. `KubeConfig.loadFromString` must never see
 * caller input: it runs `exec` plugins and auth-provider commands and reads files named by
 * `token-file`, `client-key` and friends (Flux CVE-2022-24817). Here the YAML is parsed as plain
 * data and every key is checked against an allow-list, in every entry (not only the current
 * context), so a hostile entry cannot hide behind a harmless current context.
 */
export interface SafeKubeconfig {
  contextName: string;
  namespace?: string;
  cluster: { name: string; server: string; caData?: string; tlsServerName?: string };
  user: { name: string; token?: string; certData?: string; keyData?: string };
  /** sha256 of the sanitized content; equal for equal clusters+credentials. */
  fingerprint: string;
}

export interface OverridePolicy {
  maxBytes: number;
  /** Normalised https origins; empty means any https server. */
  allowedServers: string[];
}

const ALLOWED = {
  root: ['apiVersion', 'kind', 'clusters', 'contexts', 'users', 'current-context', 'preferences', 'extensions'],
  cluster: ['server', 'certificate-authority-data', 'tls-server-name', 'insecure-skip-tls-verify', 'extensions'],
  user: ['token', 'client-certificate-data', 'client-key-data', 'extensions'],
  context: ['cluster', 'user', 'namespace', 'extensions'],
};

/** Why a known-dangerous key is refused; unknown keys get a generic reason. */
const REFUSAL_REASONS: Record<string, string> = {
  exec: 'runs a command on the server',
  'auth-provider': 'runs commands or contacts third parties on the server',
  'token-file': 'reads a file on the server',
  tokenFile: 'reads a file on the server',
  'client-certificate': 'reads a file on the server (use client-certificate-data)',
  'client-key': 'reads a file on the server (use client-key-data)',
  'certificate-authority': 'reads a file on the server (use certificate-authority-data)',
  'proxy-url': 'routes traffic through an arbitrary proxy',
  as: 'impersonation is not allowed',
  'as-uid': 'impersonation is not allowed',
  'as-groups': 'impersonation is not allowed',
  'as-user-extra': 'impersonation is not allowed',
  username: 'basic authentication is not supported (use a token or client certificate)',
  password: 'basic authentication is not supported (use a token or client certificate)',
};

function refuseField(path: string, reason: string): never {
  throw new ApiError('KUBECONFIG_FIELD_REFUSED', `Kubeconfig field "${path}" is refused: ${reason}`, { field: path });
}

function refuse(path: string, key: string): never {
  refuseField(path, REFUSAL_REASONS[key] ?? 'is not an allowed kubeconfig field');
}

function invalid(message: string): never {
  throw new ApiError('INVALID_KUBECONFIG', message);
}

function asRecord(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(`Kubeconfig "${path}" must be a mapping`);
  return value as Record<string, unknown>;
}

function checkKeys(record: Record<string, unknown>, allowed: string[], path: string): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) refuse(path ? `${path}.${key}` : key, key);
  }
}

function optionalString(record: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalid(`Kubeconfig "${path}.${key}" must be a string`);
  return value;
}

function requiredName(record: Record<string, unknown>, path: string): string {
  const name = optionalString(record, 'name', path);
  if (!name) invalid(`Kubeconfig "${path}.name" is missing`);
  return name;
}

/**
 * The entries of `clusters`, `users` or `contexts`: each `{name, <bodyKey>}` with nothing else,
 * checked in every entry so a hostile one cannot hide behind a harmless current context.
 */
function namedEntries(root: Record<string, unknown>, listKey: string, bodyKey: string): Array<{ name: string; body: unknown; path: string }> {
  const value = root[listKey] ?? [];
  if (!Array.isArray(value)) invalid(`Kubeconfig "${listKey}" must be a list`);
  return value.map((item, index) => {
    const path = `${listKey}[${index}]`;
    const entry = asRecord(item, path);
    checkKeys(entry, ['name', bodyKey], path);
    return { name: requiredName(entry, path), body: entry[bodyKey], path: `${path}.${bodyKey}` };
  });
}

function decodeBase64(text: string, path: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    invalid(`Kubeconfig "${path}" is not valid base64`);
  }
  return Buffer.from(compact, 'base64');
}

function checkPem(data: string, path: string, kind: 'certificate' | 'key'): void {
  const pem = decodeBase64(data, path).toString('utf8');
  if (kind === 'key') {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) invalid(`Kubeconfig "${path}" is not a PEM private key`);
    return;
  }
  try {
    new X509Certificate(pem);
  } catch {
    invalid(`Kubeconfig "${path}" is not a PEM certificate`);
  }
}

function checkServer(server: string | undefined, path: string, policy: OverridePolicy): string {
  if (!server) invalid(`Kubeconfig "${path}.server" is missing`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    invalid(`Kubeconfig "${path}.server" is not a URL`);
  }
  if (url.protocol !== 'https:') refuseField(`${path}.server`, 'only https servers are allowed');
  if (url.username || url.password || url.search || url.hash) invalid(`Kubeconfig "${path}.server" must not carry credentials, a query or a fragment`);
  const origin = serverOrigin(server);
  if (policy.allowedServers.length > 0 && !policy.allowedServers.includes(origin)) {
    throw new ApiError('SERVER_NOT_ALLOWED', `Kubeconfig server ${origin} is not in the allowed list of this service`, { server: origin });
  }
  return server.replace(/\/+$/, '');
}

function decodeOverride(encoded: string, policy: OverridePolicy): string {
  if (encoded.length > policy.maxBytes) invalid(`Kubeconfig override is larger than ${policy.maxBytes} bytes`);
  const text = decodeBase64(encoded, 'kubeconfig').toString('utf8');
  if (text.includes('\u0000')) invalid('Kubeconfig override is not text');
  return text;
}

function parseYaml(text: string): Record<string, unknown> {
  // Aliases are refused outright: they are never needed in a kubeconfig and are how YAML bombs expand.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  if (document.errors.length > 0) invalid('Kubeconfig override is not valid YAML');
  // Unknown tags (e.g. !!js/function) only warn and fall back to plain strings; a kubeconfig never has them.
  if (document.warnings.length > 0) invalid('Kubeconfig override uses YAML tags or constructs a kubeconfig never has');
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 0 });
  } catch {
    invalid('Kubeconfig override uses YAML aliases, which are not allowed');
  }
  return asRecord(value, '(document)');
}

/** Parses and checks a base64 kubeconfig from a caller. Throws ApiError (400) naming what is wrong. */
export function sanitizeKubeconfig(encoded: string, policy: OverridePolicy): SafeKubeconfig {
  const root = parseYaml(decodeOverride(encoded, policy));
  checkKeys(root, ALLOWED.root, '');

  const clusters = new Map<string, SafeKubeconfig['cluster']>();
  for (const { name, body, path } of namedEntries(root, 'clusters', 'cluster')) {
    const cluster = asRecord(body, path);
    checkKeys(cluster, ALLOWED.cluster, path);
    if (cluster['insecure-skip-tls-verify'] !== undefined && cluster['insecure-skip-tls-verify'] !== false) {
      refuseField(`${path}.insecure-skip-tls-verify`, 'TLS verification cannot be disabled');
    }
    const caData = optionalString(cluster, 'certificate-authority-data', path);
    if (caData) checkPem(caData, `${path}.certificate-authority-data`, 'certificate');
    clusters.set(name, {
      name,
      server: checkServer(optionalString(cluster, 'server', path), path, policy),
      caData: caData?.replace(/\s+/g, ''),
      tlsServerName: optionalString(cluster, 'tls-server-name', path),
    });
  }

  const users = new Map<string, SafeKubeconfig['user']>();
  for (const { name, body, path } of namedEntries(root, 'users', 'user')) {
    const user = asRecord(body ?? {}, path);
    checkKeys(user, ALLOWED.user, path);
    const token = optionalString(user, 'token', path);
    const certData = optionalString(user, 'client-certificate-data', path);
    const keyData = optionalString(user, 'client-key-data', path);
    if (certData) checkPem(certData, `${path}.client-certificate-data`, 'certificate');
    if (keyData) checkPem(keyData, `${path}.client-key-data`, 'key');
    if (!token && !(certData && keyData)) {
      invalid(`Kubeconfig "${path}" needs a token or both client-certificate-data and client-key-data`);
    }
    if (token !== undefined && /[\r\n]/.test(token)) invalid(`Kubeconfig "${path}.token" must be a single line`);
    users.set(name, { name, token, certData: certData?.replace(/\s+/g, ''), keyData: keyData?.replace(/\s+/g, '') });
  }

  const contexts = new Map<string, { cluster: string; user: string; namespace?: string }>();
  for (const { name, body, path } of namedEntries(root, 'contexts', 'context')) {
    const context = asRecord(body, path);
    checkKeys(context, ALLOWED.context, path);
    contexts.set(name, {
      cluster: optionalString(context, 'cluster', path) ?? '',
      user: optionalString(context, 'user', path) ?? '',
      namespace: optionalString(context, 'namespace', path),
    });
  }

  const currentName = root['current-context'];
  if (typeof currentName !== 'string' || currentName === '') invalid('Kubeconfig has no current-context');
  const current = contexts.get(currentName);
  if (!current) invalid(`Kubeconfig current-context "${currentName}" is not among its contexts`);
  const cluster = clusters.get(current.cluster);
  if (!cluster) invalid(`Kubeconfig context "${currentName}" names cluster "${current.cluster}", which is not defined`);
  const user = users.get(current.user);
  if (!user) invalid(`Kubeconfig context "${currentName}" names user "${current.user}", which is not defined`);

  const fingerprint = createHash('sha256').update(JSON.stringify([cluster, user])).digest('hex');
  return { contextName: currentName, namespace: current.namespace, cluster, user, fingerprint };
}
