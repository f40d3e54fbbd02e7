import {
  ApisApi,
  AppsV1Api,
  CustomObjectsApi,
  Health,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { ApiError } from '../common/api-error.js';
import type { InformerSource } from './informer.js';
import { mapKubernetesError, statusCodeOf } from './kubernetes-error.mapper.js';
import type { ApiGroupInfo, ClusterIdentity, DeploymentSummary, IstioGroup, IstioObject, IstioResource } from './kubernetes.types.js';
import { normalizeListItem } from './object-store.js';
import { requestOptions, SharedDispatcher, withinTimeout } from './request-options.js';
import { WatchCache, type WatchCacheOptions } from './watch-cache.js';

const DISCOVERY_TTL_MS = 30_000;
/** A discovery that lacks an Istio group (not installed, or an API server still starting) is re-checked this soon. */
const INCOMPLETE_DISCOVERY_TTL_MS = 1_000;
const ISTIO_GROUPS: IstioGroup[] = ['networking.istio.io', 'security.istio.io'];

/** Cluster-wide lists of the watch cache are read in pages of this size. */
const LIST_PAGE_SIZE = 500;
/**
 * client-node ends a watch that received nothing for 30 s; the API server sends bookmarks about once
 * a minute, so a quiet resource type would be re-watched needlessly often.
 */
const WATCH_IDLE_TIMEOUT_MS = 90_000;
/** Server-side watch duration, spread like client-go's (5-10 min) so watches do not all renew at once. */
const watchTimeoutSeconds = () => 300 + Math.floor(Math.random() * 300);

export interface ClusterClientOptions {
  /**
   * Serve list() from watch-backed caches (the service's own cluster only: a cache outlives the
   * request, so one built with a caller's credentials would leak to other callers).
   */
  watchCache?: boolean | WatchCacheOptions;
  /** Called after every API call: operation (verb and resource), outcome ("ok" or an error code), duration. */
  observe?: (operation: string, outcome: string, seconds: number) => void;
}

/**
 * One Kubernetes cluster as the rest of the service sees it: typed reads and writes of Istio
 * objects, with timeouts and error mapping. Built by ClusterResolver from a trusted or sanitized
 * KubeConfig; the only place that calls @kubernetes/client-node APIs.
 *
 * With `watchCache` (the service's own cluster), list() answers from a watch-backed cache once it
 * is synced and the API server has answered a one-item probe that was in flight when the call
 * arrived or was sent for it (LivenessGate), so a stopped or frozen API server still gives 503
 * within the timeout, as a direct read would. Before the cache is synced,
 * while its watch is broken, or when RBAC refuses a cluster-wide list/watch, list() reads directly.
 * get() and replace() always go to the API server: the write path never acts on cached data.
 */
export class ClusterClient {
  private readonly customObjects: CustomObjectsApi;
  private readonly apis: ApisApi;
  private readonly apps: AppsV1Api;
  private readonly dispatcher = new SharedDispatcher();
  private readonly options: ConfigurationOptions;
  private readonly watchCache?: WatchCache;
  private readonly health: Health;
  private discovery?: { at: number; ttlMs: number; groups: Promise<Map<string, ApiGroupInfo>> };

  constructor(
    private readonly kubeConfig: KubeConfig,
    readonly identity: ClusterIdentity,
    private readonly timeoutMs: number,
    private readonly clientOptions: ClusterClientOptions = {},
  ) {
    const options = clientOptions;
    this.customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.apis = kubeConfig.makeApiClient(ApisApi);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.health = new Health(kubeConfig);
    this.options = requestOptions(timeoutMs, this.dispatcher);
    if (options.watchCache) {
      this.watchCache = new WatchCache(
        { source: (resource, version) => this.informerSource(resource, version), probe: (resource, version) => this.probe(resource, version) },
        options.watchCache === true ? {} : options.watchCache,
      );
    }
  }

  private context(action: string) {
    return { action, override: this.identity.source === 'override', timeoutMs: this.timeoutMs };
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    // "list virtualservices in namespace x" -> "list virtualservices": bounded metric labels.
    const operation = action.split(' ').slice(0, 2).join(' ');
    try {
      const result = await run();
      this.clientOptions.observe?.(operation, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const mapped = mapKubernetesError(error, this.context(action));
      this.clientOptions.observe?.(operation, mapped.code, (performance.now() - started) / 1000);
      throw mapped;
    }
  }

  /** Readiness: the API server answers /readyz within the timeout (never cached). */
  async ready(): Promise<boolean> {
    return this.call('check that the API server is ready', () => this.health.readyz({ signal: AbortSignal.timeout(this.timeoutMs) }));
  }

  /**
   * Served API groups (Istio's among them), cached briefly: discovery rarely changes. A starting
   * API server answers /apis before its CRD groups are registered, so a discovery without both
   * Istio groups is kept for a second only, and is believed only if the API server says it is
   * ready (/readyz); otherwise the caller gets 503, not a wrong "Istio is not installed".
   */
  async apiGroups(): Promise<Map<string, ApiGroupInfo>> {
    const now = Date.now();
    if (!this.discovery || now - this.discovery.at > this.discovery.ttlMs) {
      // Until it settles, concurrent callers share it.
      const entry: NonNullable<ClusterClient['discovery']> = { at: now, ttlMs: Infinity, groups: this.discover() };
      entry.groups.then(
        (groups) => (entry.ttlMs = ISTIO_GROUPS.every((group) => groups.has(group)) ? DISCOVERY_TTL_MS : INCOMPLETE_DISCOVERY_TTL_MS),
        // A failed discovery must not be cached.
        () => {
          if (this.discovery === entry) this.discovery = undefined;
        },
      );
      this.discovery = entry;
    }
    return this.discovery.groups;
  }

  private async discover(): Promise<Map<string, ApiGroupInfo>> {
    const list = await this.call('discover API groups', () => this.apis.getAPIVersions({}, this.options));
    const groups = new Map(
      list.groups.map((group) => [
        group.name,
        {
          group: group.name,
          preferredVersion: group.preferredVersion?.version ?? group.versions[0]?.version ?? '',
          servedVersions: group.versions.map((version) => version.version),
        },
      ]),
    );
    if (ISTIO_GROUPS.some((group) => !groups.has(group))) {
      const ready = await this.call('check that the API server is ready', () => this.health.readyz({ signal: AbortSignal.timeout(this.timeoutMs) }));
      if (!ready) throw new ApiError('KUBERNETES_UNAVAILABLE', 'The Kubernetes API is not ready yet (it is still registering its API groups)');
    }
    return groups;
  }

  /** The version to use for an Istio group: the cluster's preferred one (v1 on current Istio, v1beta1 on older). */
  async versionOf(group: IstioGroup): Promise<string> {
    const info = (await this.apiGroups()).get(group);
    if (!info) {
      throw new ApiError('ISTIO_NOT_INSTALLED', `Istio is not installed in this cluster: the API group ${group} is not served`);
    }
    return info.preferredVersion;
  }

  /** From the watch cache: a frozen snapshot (the same array until the namespace changes); read directly: a fresh array. */
  async list(resource: IstioResource, namespace: string): Promise<readonly IstioObject[]> {
    const version = await this.versionOf(resource.group);
    const action = `list ${resource.plural} in namespace ${namespace}`;
    const cached = this.watchCache?.entry(resource, version);
    if (cached?.informer.synced) {
      try {
        await withinTimeout(cached.gate.check(), this.timeoutMs);
        // The watch may have broken while the probe ran.
        if (cached.informer.synced) return cached.informer.list(namespace);
      } catch (error) {
        const status = statusCodeOf(error);
        // No answer (unreachable, timed out): a direct read would fail the same way, after another wait.
        if (status === undefined) throw mapKubernetesError(error, this.context(action));
        // RBAC no longer allows the cluster-wide list, or the version is gone: stop trusting the cache.
        if (status === 401 || status === 403 || status === 404) cached.informer.disable(`probe refused (HTTP ${status})`);
        // Whatever the API server said, the caller gets the answer of a direct read below.
      }
    }
    const list = await this.call(action, () => this.customObjects.listNamespacedCustomObject({ ...resource, version, namespace }, this.options));
    const apiVersion = `${resource.group}/${version}`;
    return ((list as { items?: IstioObject[] }).items ?? []).map((item) => normalizeListItem(item, apiVersion));
  }

  async get(resource: IstioResource, namespace: string, name: string): Promise<IstioObject> {
    const version = await this.versionOf(resource.group);
    const object = await this.call(`get ${resource.plural} ${namespace}/${name}`, () =>
      this.customObjects.getNamespacedCustomObject({ ...resource, version, namespace, name }, this.options),
    );
    return this.withApiVersion(object as IstioObject, resource, version);
  }

  /** Update with the object's resourceVersion: the API server answers 409 (ApiError CONFLICT) if it changed. */
  async replace(resource: IstioResource, object: IstioObject): Promise<IstioObject> {
    const version = object.apiVersion.split('/')[1] ?? (await this.versionOf(resource.group));
    const { namespace, name } = object.metadata;
    const updated = await this.call(`update ${resource.plural} ${namespace}/${name}`, () =>
      this.customObjects.replaceNamespacedCustomObject({ ...resource, version, namespace, name, body: object }, this.options),
    );
    return updated as IstioObject;
  }

  /** Deployments across namespaces by label selector (istiod discovery). */
  async listDeployments(labelSelector: string): Promise<DeploymentSummary[]> {
    const list = await this.call('list Deployments in all namespaces', () =>
      this.apps.listDeploymentForAllNamespaces({ labelSelector }, this.options),
    );
    return list.items.map((deployment) => ({
      name: deployment.metadata?.name ?? '',
      namespace: deployment.metadata?.namespace ?? '',
      labels: deployment.metadata?.labels ?? {},
      images: (deployment.spec?.template.spec?.containers ?? []).map((container) => container.image ?? ''),
      replicas: deployment.status?.replicas ?? deployment.spec?.replicas ?? 0,
      readyReplicas: deployment.status?.readyReplicas ?? 0,
      availableReplicas: deployment.status?.availableReplicas ?? 0,
    }));
  }

  /** Stops the watch caches and closes kept connections (application shutdown). */
  async close(): Promise<void> {
    this.watchCache?.close();
    await this.dispatcher.close();
  }

  /** Lists omit apiVersion/kind on items in some servers; restore them so replace() knows the version. */
  private withApiVersion(object: IstioObject, resource: IstioResource, version: string): IstioObject {
    return { ...object, apiVersion: object.apiVersion ?? `${resource.group}/${version}` };
  }

  /**
   * A one-item list of the type across the cluster, read from the API server's storage (no
   * resourceVersion): proves the API server and etcd answer and RBAC still allows the list.
   */
  private probe(resource: IstioResource, version: string): Promise<unknown> {
    return this.customObjects.listClusterCustomObject({ ...resource, version, limit: 1 }, this.options);
  }

  private informerSource(resource: IstioResource, version: string): InformerSource {
    const apiVersion = `${resource.group}/${version}`;
    const normalize = (object: IstioObject) => normalizeListItem(object, apiVersion);
    return {
      normalize,
      list: async (continueToken) => {
        const list = (await this.customObjects.listClusterCustomObject(
          { ...resource, version, limit: LIST_PAGE_SIZE, _continue: continueToken },
          this.options,
        )) as { items?: IstioObject[]; metadata?: { resourceVersion?: string; continue?: string } };
        return { items: (list.items ?? []).map(normalize), resourceVersion: list.metadata?.resourceVersion ?? '', continueToken: list.metadata?.continue || undefined };
      },
      watch: async (resourceVersion, onEvent, onDone) => {
        const watch = new Watch(this.kubeConfig);
        (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = WATCH_IDLE_TIMEOUT_MS;
        const controller = await watch.watch(
          `/apis/${resource.group}/${version}/${resource.plural}`,
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds() },
          (type: string, object: unknown) => onEvent({ type, object }),
          onDone,
        );
        return () => controller.abort();
      },
    };
  }
}
