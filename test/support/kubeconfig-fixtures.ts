import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

let cachedCa: string | undefined;

/** A throwaway self-signed CA certificate (PEM), made with openssl at test time. */
export function testCaPem(): string {
  if (!cachedCa) {
    const dir = mkdtempSync(join(tmpdir(), 'istio-api-ca-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')], {
      stdio: 'ignore',
    });
    cachedCa = readFileSync(join(dir, 'ca.crt'), 'utf8');
  }
  return cachedCa;
}

export const b64 = (text: string) => Buffer.from(text).toString('base64');

export interface KubeconfigParts {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  context?: Record<string, unknown>;
  extraClusters?: unknown[];
  extraUsers?: unknown[];
  extraContexts?: unknown[];
  root?: Record<string, unknown>;
  currentContext?: string | null;
}

/** A valid passive kubeconfig document, with parts replaced or added by the test. */
export function kubeconfigDoc(parts: KubeconfigParts = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: parts.cluster ?? { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(testCaPem()) } }, ...(parts.extraClusters ?? [])],
    users: [{ name: 'u', user: parts.user ?? { token: 'abc' } }, ...(parts.extraUsers ?? [])],
    contexts: [{ name: 'ctx', context: parts.context ?? { cluster: 'c', user: 'u', namespace: 'payments' } }, ...(parts.extraContexts ?? [])],
    ...(parts.currentContext === null ? {} : { 'current-context': parts.currentContext ?? 'ctx' }),
    ...parts.root,
  };
  return doc;
}

export function encodeKubeconfig(parts: KubeconfigParts = {}): string {
  return b64(stringify(kubeconfigDoc(parts)));
}
