// Direct Kubernetes access for the benchmark: seeding bench-owned namespaces, and the baselines
// "what a client gets by calling kube-apiserver itself" with @kubernetes/client-node.
import { CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';

export const VS = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' };

export class BenchCluster {
  constructor(kubeconfigPath) {
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromFile(kubeconfigPath);
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = this.kubeConfig.makeApiClient(CustomObjectsApi);
    this.rbac = this.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  }

  /** A namespace of this run (no controller-manager runs on the test bed: deleted ones stay Terminating). */
  async createNamespace(name) {
    await this.core.createNamespace({ body: { metadata: { name, labels: { 'istio-api-bench': 'true' } } } });
    return name;
  }

  /**
   * Deletes the namespace's VirtualServices, then the namespace. Without a controller-manager the
   * namespace only goes Terminating and keeps its objects: before this, every run left 2,050
   * VirtualServices behind, until the service's watch cache refused the cluster (> 10,000 objects).
   */
  async deleteNamespace(name) {
    await this.custom.deleteCollectionNamespacedCustomObject({ ...VS, namespace: name }).catch(() => undefined);
    await this.core.deleteNamespace({ name }).catch(() => undefined);
  }

  /** Creates `count` VirtualServices (two weighted subsets each), `concurrency` at a time. */
  async seedVirtualServices(namespace, count, concurrency = 8) {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await this.custom.createNamespacedCustomObject({ ...VS, namespace, body: virtualService(namespace, i) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Baseline for scenario 1: a namespaced list straight from kube-apiserver. */
  listVirtualServices(namespace) {
    return this.custom.listNamespacedCustomObject({ ...VS, namespace });
  }

  getVirtualService(namespace, name) {
    return this.custom.getNamespacedCustomObject({ ...VS, namespace, name });
  }

  replaceVirtualService(object) {
    const { namespace, name } = object.metadata;
    return this.custom.replaceNamespacedCustomObject({ ...VS, namespace, name, body: object });
  }

  /**
   * A ServiceAccount that may read VirtualServices in one namespace only (no cluster-wide
   * list/watch), with a token from the TokenRequest API, as a passive kubeconfig: the service's
   * watch cache cannot start for it, so the service reads directly (the "no cache" path).
   */
  async namespaceReaderKubeconfig(namespace, server, caFile) {
    const name = 'bench-reader';
    await this.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    await this.rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name }, rules: [{ apiGroups: ['networking.istio.io'], resources: ['virtualservices'], verbs: ['get', 'list', 'watch'] }] },
    });
    await this.rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
    const request = await this.core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { expirationSeconds: 3600 } } });
    const ca = readFileSync(caFile).toString('base64');
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: bench',
      '    cluster:',
      `      server: ${server}`,
      `      certificate-authority-data: ${ca}`,
      'users:',
      `  - name: ${name}`,
      '    user:',
      `      token: ${request.status.token}`,
      'contexts:',
      '  - name: bench',
      '    context:',
      '      cluster: bench',
      `      user: ${name}`,
      'current-context: bench',
      '',
    ].join('\n');
  }
}

export function virtualService(namespace, i) {
  const host = `svc-${String(i).padStart(4, '0')}`;
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: host, namespace, labels: { app: host, 'istio-api-bench': 'true' } },
    spec: {
      hosts: [host],
      http: [
        {
          name: 'primary',
          match: [{ uri: { prefix: '/' } }],
          retries: { attempts: 3, perTryTimeout: '2s' },
          route: [
            { destination: { host, subset: 'stable' }, weight: 90 },
            { destination: { host, subset: 'canary' }, weight: 10 },
          ],
        },
      ],
    },
  };
}
