import { ApiError } from '../../src/common/api-error.js';
import type { ClusterClient } from '../../src/kubernetes/cluster.client.js';
import type { ApiGroupInfo, ClusterIdentity, DeploymentSummary, IstioObject, IstioResource } from '../../src/kubernetes/kubernetes.types.js';

/**
 * In-memory stand-in for ClusterClient in HTTP-level tests (the e2e suite uses a real API server).
 * Strict: optimistic concurrency like the API server, and injectable failures per method.
 */
export class FakeCluster {
  readonly objects = new Map<string, IstioObject>();
  deployments: DeploymentSummary[] = [];
  groups = new Map<string, ApiGroupInfo>([
    ['networking.istio.io', { group: 'networking.istio.io', preferredVersion: 'v1', servedVersions: ['v1', 'v1beta1', 'v1alpha3'] }],
    ['security.istio.io', { group: 'security.istio.io', preferredVersion: 'v1', servedVersions: ['v1', 'v1beta1'] }],
  ]);
  readonly calls: string[] = [];
  private readonly failures = new Map<string, ApiError[]>();
  private revision = 100;
  /** Runs before each replace() is applied: lets a test simulate a concurrent writer. */
  beforeReplace?: () => void;

  constructor(readonly identity: ClusterIdentity = { server: 'https://fake.invalid:6443', source: 'default' }) {}

  failNext(method: 'apiGroups' | 'list' | 'get' | 'replace' | 'listDeployments' | 'ready', error: ApiError, times = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...Array.from({ length: times }, () => error)]);
  }

  private record(method: string, detail = ''): void {
    this.calls.push(`${method}${detail ? ` ${detail}` : ''}`);
    const queue = this.failures.get(method);
    const failure = queue?.shift();
    if (failure) throw failure;
  }

  private key(resource: IstioResource, namespace: string, name: string): string {
    return `${resource.plural}/${namespace}/${name}`;
  }

  put(resource: IstioResource, object: Omit<IstioObject, 'apiVersion' | 'kind'> & Partial<IstioObject>): IstioObject {
    const stored: IstioObject = structuredClone({
      apiVersion: `${resource.group}/v1`,
      kind: resource.plural,
      ...object,
      metadata: { creationTimestamp: '2025-01-15T10:00:00Z', ...object.metadata, resourceVersion: String(++this.revision) },
    });
    this.objects.set(this.key(resource, stored.metadata.namespace, stored.metadata.name), stored);
    return structuredClone(stored);
  }

  async apiGroups(): Promise<Map<string, ApiGroupInfo>> {
    this.record('apiGroups');
    return new Map(this.groups);
  }

  async versionOf(group: string): Promise<string> {
    const info = (await this.apiGroups()).get(group);
    if (!info) throw new ApiError('ISTIO_NOT_INSTALLED', `Istio is not installed in this cluster: the API group ${group} is not served`);
    return info.preferredVersion;
  }

  async list(resource: IstioResource, namespace: string): Promise<IstioObject[]> {
    await this.versionOf(resource.group);
    this.record('list', `${resource.plural}/${namespace}`);
    return [...this.objects.entries()].filter(([key]) => key.startsWith(`${resource.plural}/${namespace}/`)).map(([, value]) => structuredClone(value));
  }

  async get(resource: IstioResource, namespace: string, name: string): Promise<IstioObject> {
    await this.versionOf(resource.group);
    this.record('get', this.key(resource, namespace, name));
    const object = this.objects.get(this.key(resource, namespace, name));
    if (!object) throw new ApiError('NOT_FOUND', `Not found: get ${resource.plural} ${namespace}/${name}`);
    return structuredClone(object);
  }

  async replace(resource: IstioResource, object: IstioObject): Promise<IstioObject> {
    this.beforeReplace?.();
    this.record('replace', this.key(resource, object.metadata.namespace, object.metadata.name));
    const key = this.key(resource, object.metadata.namespace, object.metadata.name);
    const current = this.objects.get(key);
    if (!current) throw new ApiError('NOT_FOUND', 'Not found');
    if (current.metadata.resourceVersion !== object.metadata.resourceVersion) throw new ApiError('CONFLICT', 'The object changed concurrently');
    return this.put(resource, object);
  }

  async ready(): Promise<boolean> {
    this.record('ready');
    return true;
  }

  async listDeployments(labelSelector: string): Promise<DeploymentSummary[]> {
    this.record('listDeployments', labelSelector);
    return structuredClone(this.deployments);
  }

  asClient(): ClusterClient {
    return this as unknown as ClusterClient;
  }
}
