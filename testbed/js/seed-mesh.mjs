// Seeds the demo mesh (and the restricted user's RBAC) with create-or-replace, then writes the
// `status` of Deployments from the manifests through the status subresource (no controllers run).
//   KUBECONFIG_PATH=... node seed-mesh.mjs manifests/rbac.yaml manifests/demo-mesh.yaml
import { loadKubeConfig, loadManifests, createOrReplace, log, KubernetesObjectApi, AppsV1Api } from './k8s.mjs';

const files = process.argv.slice(2);
if (!files.length) throw new Error('usage: seed-mesh.mjs <manifest.yaml>...');
const kc = loadKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);
const apps = kc.makeApiClient(AppsV1Api);

const all = files.flatMap((f) => loadManifests(f));
// Namespaces first, then everything else in file order.
all.sort((a, b) => (b.kind === 'Namespace') - (a.kind === 'Namespace'));
const counts = {};
for (const obj of all) {
  const { action } = await createOrReplace(objects, obj);
  counts[action] = (counts[action] ?? 0) + 1;
  if (obj.kind === 'Deployment' && obj.status) {
    const { name, namespace } = obj.metadata;
    for (let attempt = 1; ; attempt++) {
      const live = await apps.readNamespacedDeployment({ name, namespace });
      live.status = { ...obj.status, observedGeneration: live.metadata.generation };
      try {
        await apps.replaceNamespacedDeploymentStatus({ name, namespace, body: live });
        break;
      } catch (e) {
        if (e?.code === 409 && attempt < 5) continue;
        throw new Error(`status of Deployment ${namespace}/${name}: ${e?.code} ${e?.body ?? e?.message}`);
      }
    }
  }
}
log(`seeded ${all.length} objects (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')})`);
