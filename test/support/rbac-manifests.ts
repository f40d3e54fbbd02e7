import {
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/**
 * Helpers for test/e2e/rbac.e2e.ts: load the Kubernetes manifests of deploy/kubernetes the way
 * `kubectl apply -k` would (kustomization resources in order, namespace set), give them names of
 * their own per run, apply them, and act as the ServiceAccount they define.
 */
export const DEPLOY_DIR = 'deploy/kubernetes';

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

export type Manifest = KubernetesObject & { metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

/** Every object of the kustomization (only `resources` and `namespace` are used by it), in order. */
export function loadKustomization(dir = DEPLOY_DIR): Manifest[] {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { namespace?: string; resources: string[] };
  return kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
      .map((document) => {
        if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
        return document.toJS() as Manifest | null;
      })
      .filter((object): object is Manifest => object !== null)
      .map((object) => {
        if (!CLUSTER_SCOPED.has(object.kind!) && kustomization.namespace) object.metadata.namespace = kustomization.namespace;
        return object;
      }),
  );
}

/**
 * The same objects for one test run: the Namespace and every namespaced object in `namespace`,
 * cluster-scoped RBAC objects renamed with `suffix` (their bindings follow), so runs never collide.
 */
export function isolate(objects: Manifest[], namespace: string, suffix: string): Manifest[] {
  return structuredClone(objects).map((object) => {
    if (object.kind === 'Namespace') {
      object.metadata.name = namespace;
    } else if (object.kind === 'ClusterRole') {
      object.metadata.name = `${object.metadata.name}-${suffix}`;
    } else if (object.kind === 'ClusterRoleBinding') {
      object.metadata.name = `${object.metadata.name}-${suffix}`;
      object.roleRef.name = `${object.roleRef.name}-${suffix}`;
      for (const subject of object.subjects ?? []) if (subject.kind === 'ServiceAccount') subject.namespace = namespace;
    } else {
      object.metadata.namespace = namespace;
    }
    return object;
  });
}

export function find(objects: Manifest[], kind: string, name?: string): Manifest {
  const found = objects.find((object) => object.kind === kind && (name === undefined || object.metadata.name.startsWith(name)));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the manifests`);
  return found;
}

/** Creates the objects in order (real create, not dry-run), as the admin of the test bed. */
export async function applyAll(kubeConfig: KubeConfig, objects: Manifest[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const object of objects) {
    try {
      await client.create(object);
    } catch (error) {
      const e = error as { code?: number; body?: unknown };
      throw new Error(`creating ${object.kind} ${object.metadata.name}: ${e.code ?? ''} ${typeof e.body === 'string' ? e.body : String(error)}`);
    }
  }
}

/** Deletes what applyAll created (cluster-scoped objects matter: namespaces never finish deleting without a controller-manager). */
export async function deleteAll(kubeConfig: KubeConfig, objects: Manifest[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const object of [...objects].reverse()) {
    await client.delete({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace } }).catch(() => undefined);
  }
}

/** A short-lived token of the ServiceAccount from the TokenRequest API (what the kubelet mounts into the pod). */
export async function serviceAccountToken(kubeConfig: KubeConfig, namespace: string, name: string, expirationSeconds = 3600): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds } } });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}

export interface TokenKubeconfig {
  path: string;
  kubeConfig: KubeConfig;
  remove(): void;
}

/** A kubeconfig file (mode 0600, in a private temp dir) holding only the server, its CA and a bearer token. */
export function writeTokenKubeconfig(server: string, caFile: string, token: string, user = 'istio-api-sa'): TokenKubeconfig {
  const dir = mkdtempSync(join(tmpdir(), 'istio-api-rbac-'));
  chmodSync(dir, 0o700);
  const path = join(dir, 'kubeconfig.yaml');
  const ca = readFileSync(caFile).toString('base64');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: testbed',
      '    cluster:',
      `      server: ${server}`,
      `      certificate-authority-data: ${ca}`,
      'users:',
      `  - name: ${user}`,
      '    user:',
      `      token: ${token}`,
      'contexts:',
      `  - name: ${user}@testbed`,
      '    context:',
      '      cluster: testbed',
      `      user: ${user}`,
      `current-context: ${user}@testbed`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return { path, kubeConfig, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

/** SelfSubjectAccessReview: would the API server allow this caller `verb` on `resource`? */
export async function canI(kubeConfig: KubeConfig, access: Access): Promise<boolean> {
  const authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
  const review = await authorization.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: access } } });
  return review.status?.allowed === true;
}

export async function canIUrl(kubeConfig: KubeConfig, verb: string, path: string): Promise<boolean> {
  const authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
  const review = await authorization.createSelfSubjectAccessReview({ body: { spec: { nonResourceAttributes: { verb, path } } } });
  return review.status?.allowed === true;
}

/** The HTTP status of a Kubernetes call that is expected to fail (ApiException.code), or 'ok'. */
export async function statusOf(call: () => Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw error;
  }
}
