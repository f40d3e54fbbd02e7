import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Direct Kubernetes access for e2e tests: seeding objects, and reading them back without going
 * through the service (to prove what the service wrote).
 */
export class Kube {
  readonly kubeConfig = new KubeConfig();
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;

  constructor(kubeconfigPath: string) {
    this.kubeConfig.loadFromFile(kubeconfigPath);
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = this.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** A fresh namespace per run: the suite also runs against shared clusters (kind), and without a controller-manager deleted namespaces never go away. */
  async createNamespace(prefix: string): Promise<string> {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    await this.core.createNamespace({ body: { metadata: { name, labels: { 'istio-api-e2e': 'true' } } } });
    return name;
  }

  /**
   * Deletes the Istio objects the suite creates, then the namespace: on the test bed (no
   * controller-manager) a deleted namespace stays Terminating with its objects, which would pile
   * up in a bed that outlives one run (e.g. `npm run dev`'s).
   */
  async deleteNamespace(name: string): Promise<void> {
    for (const [group, plural] of [
      ['networking.istio.io', 'virtualservices'],
      ['networking.istio.io', 'destinationrules'],
      ['security.istio.io', 'peerauthentications'],
      ['security.istio.io', 'authorizationpolicies'],
    ]) {
      await this.custom.deleteCollectionNamespacedCustomObject({ group: group!, version: 'v1', namespace: name, plural: plural! }).catch(() => undefined);
    }
    await this.core.deleteNamespace({ name }).catch(() => undefined);
  }

  async create(group: string, plural: string, namespace: string, body: Record<string, unknown>): Promise<any> {
    const kind = { virtualservices: 'VirtualService', peerauthentications: 'PeerAuthentication', authorizationpolicies: 'AuthorizationPolicy', destinationrules: 'DestinationRule' }[plural];
    return this.custom.createNamespacedCustomObject({ group, version: 'v1', namespace, plural, body: { apiVersion: `${group}/v1`, kind, ...body } });
  }

  async getVirtualService(namespace: string, name: string): Promise<any> {
    return this.custom.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', name });
  }

  /** A JSON merge patch: applied by the API server to the latest object, like a concurrent kubectl edit. */
  async mergePatchVirtualService(namespace: string, name: string, patch: Record<string, unknown>): Promise<any> {
    return this.custom.patchNamespacedCustomObject(
      { group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', name, body: patch },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

/** Base64 of a kubeconfig file (the form the API accepts as an override). */
export function encodeKubeconfigFile(path: string): string {
  return readFileSync(path).toString('base64');
}

/** Stops/starts one test bed component (testbed/ctl.sh), for the fault tests. */
export function testbedCtl(action: 'stop' | 'start', component: 'apiserver' | 'prometheus' | 'etcd'): void {
  execFileSync('bash', ['testbed/ctl.sh', action, component], { stdio: 'inherit', timeout: 120_000 });
}
