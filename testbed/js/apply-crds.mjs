// Applies the Istio CRDs (istio.io/api kubernetes/customresourcedefinitions.gen.yaml) with
// create-or-replace and waits until every CRD is Established.
//   KUBECONFIG_PATH=... node apply-crds.mjs <crd-yaml>
import { loadKubeConfig, loadManifests, createOrReplace, log, KubernetesObjectApi, ApiextensionsV1Api } from './k8s.mjs';

const file = process.argv[2];
if (!file) throw new Error('usage: apply-crds.mjs <customresourcedefinitions.gen.yaml>');
const kc = loadKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);
const ext = kc.makeApiClient(ApiextensionsV1Api);

const crds = loadManifests(file).filter((o) => o.kind === 'CustomResourceDefinition');
const counts = {};
for (const crd of crds) {
  const { action } = await createOrReplace(objects, crd);
  counts[action] = (counts[action] ?? 0) + 1;
}
log(`Istio CRDs: ${crds.length} (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}); waiting for Established`);

const deadline = Date.now() + 60_000;
for (const crd of crds) {
  for (;;) {
    const live = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
    const est = live.status?.conditions?.find((c) => c.type === 'Established');
    if (est?.status === 'True') break;
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not Established after 60s: ${JSON.stringify(live.status?.conditions)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
log(`all ${crds.length} CRDs Established`);
