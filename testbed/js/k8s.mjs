// Small helpers around @kubernetes/client-node 2.x shared by the test bed's setup scripts.
import {
  KubeConfig,
  KubernetesObjectApi,
  AppsV1Api,
  ApiextensionsV1Api,
  CustomObjectsApi,
  loadAllYaml,
} from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';

export function loadKubeConfig(path = process.env.KUBECONFIG_PATH) {
  if (!path) throw new Error('KUBECONFIG_PATH not set');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export const log = (...a) => console.error(`[testbed ${new Date().toISOString().slice(11, 19)}]`, ...a);

export function loadManifests(file) {
  return loadAllYaml(readFileSync(file, 'utf8')).filter(Boolean);
}

const isNotFound = (e) => e?.code === 404;
const ref = (o) => `${o.kind} ${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`;

/**
 * Create-or-replace: read the object; create it if absent, otherwise replace it (whole object,
 * with the live resourceVersion), so user edits made by tests are reset to the seeded state.
 * Retries a few times on 409 (someone else wrote in between).
 */
export async function createOrReplace(client, obj, fieldManager = 'istio-api-testbed') {
  for (let attempt = 1; ; attempt++) {
    let live;
    try {
      live = await client.read({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      if (!live) return { action: 'created', obj: await client.create(obj, undefined, undefined, fieldManager) };
      const body = structuredClone(obj);
      body.metadata.resourceVersion = live.metadata.resourceVersion;
      if (obj.kind === 'Service' && live.spec?.clusterIP && !body.spec.clusterIP) {
        body.spec.clusterIP = live.spec.clusterIP; // immutable, allocated by the apiserver
        body.spec.clusterIPs = live.spec.clusterIPs;
      }
      return { action: 'replaced', obj: await client.replace(body, undefined, undefined, fieldManager) };
    } catch (e) {
      if (e?.code === 409 && attempt < 5) continue;
      throw new Error(`${ref(obj)}: ${e?.code ?? ''} ${typeof e?.body === 'string' ? e.body : e?.message}`);
    }
  }
}

export { KubernetesObjectApi, AppsV1Api, ApiextensionsV1Api, CustomObjectsApi };
