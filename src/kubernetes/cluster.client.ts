import {
  ApisApi,
  AppsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type ConfigurationOptions,
  type RequestContext,
} from '@kubernetes/client-node';
import { ApiError } from '../common/api-error.js';
import { mapKubernetesError } from './kubernetes-error.mapper.js';
import type { ApiGroupInfo, ClusterIdentity, DeploymentSummary, IstioGroup, IstioObject, IstioResource } from './kubernetes.types.js';

const DISCOVERY_TTL_MS = 30_000;

/**
 * client-node has no timeout option; an AbortSignal per request bounds every call. Its object-style
 * APIs take "observable" middleware whose stub type the package does not export, so this builds a
 * structurally identical one (promise, toPromise, pipe) around an already-resolved value.
 */
function resolved<T>(value: T) {
  const observable = {
    promise: Promise.resolve(value),
    toPromise: () => observable.promise,
    pipe: <R>(next: (input: T) => R) => resolved(next(value)),
  };
  return observable;
}

function timeoutOptions(timeoutMs: number): ConfigurationOptions {
  const middleware = {
    pre: (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return resolved(context);
    },
    post: <T>(context: T) => resolved(context),
  };
  return { middleware: [middleware as never], middlewareMergeStrategy: 'append' };
}

/**
 * One Kubernetes cluster as the rest of the service sees it: typed reads and writes of Istio
 * objects, with timeouts and error mapping. Built by ClusterResolver from a trusted or sanitized
 * KubeConfig; the only place that calls @kubernetes/client-node APIs.
 */
export class ClusterClient {
  private readonly customObjects: CustomObjectsApi;
  private readonly apis: ApisApi;
  private readonly apps: AppsV1Api;
  private readonly options: ConfigurationOptions;
  private discovery?: { at: number; groups: Promise<Map<string, ApiGroupInfo>> };

  constructor(
    kubeConfig: KubeConfig,
    readonly identity: ClusterIdentity,
    private readonly timeoutMs: number,
  ) {
    this.customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.apis = kubeConfig.makeApiClient(ApisApi);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.options = timeoutOptions(timeoutMs);
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapKubernetesError(error, { action, override: this.identity.source === 'override', timeoutMs: this.timeoutMs });
    }
  }

  /** Served API groups (Istio's among them), cached briefly: discovery rarely changes. */
  async apiGroups(): Promise<Map<string, ApiGroupInfo>> {
    const now = Date.now();
    if (!this.discovery || now - this.discovery.at > DISCOVERY_TTL_MS) {
      const groups = this.call('discover API groups', () => this.apis.getAPIVersions({}, this.options)).then(
        (list) =>
          new Map(
            list.groups.map((group) => [
              group.name,
              {
                group: group.name,
                preferredVersion: group.preferredVersion?.version ?? group.versions[0]?.version ?? '',
                servedVersions: group.versions.map((version) => version.version),
              },
            ]),
          ),
      );
      this.discovery = { at: now, groups };
      // A failed discovery must not be cached.
      groups.catch(() => {
        if (this.discovery?.groups === groups) this.discovery = undefined;
      });
    }
    return this.discovery.groups;
  }

  /** The version to use for an Istio group: the cluster's preferred one (v1 on current Istio, v1beta1 on older). */
  async versionOf(group: IstioGroup): Promise<string> {
    const info = (await this.apiGroups()).get(group);
    if (!info) {
      throw new ApiError('ISTIO_NOT_INSTALLED', `Istio is not installed in this cluster: the API group ${group} is not served`);
    }
    return info.preferredVersion;
  }

  async list(resource: IstioResource, namespace: string): Promise<IstioObject[]> {
    const version = await this.versionOf(resource.group);
    const list = await this.call(`list ${resource.plural} in namespace ${namespace}`, () =>
      this.customObjects.listNamespacedCustomObject({ ...resource, version, namespace }, this.options),
    );
    return ((list as { items?: IstioObject[] }).items ?? []).map((item) => this.withApiVersion(item, resource, version));
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

  /** Lists omit apiVersion/kind on items in some servers; restore them so replace() knows the version. */
  private withApiVersion(object: IstioObject, resource: IstioResource, version: string): IstioObject {
    return { ...object, apiVersion: object.apiVersion ?? `${resource.group}/${version}` };
  }
}
