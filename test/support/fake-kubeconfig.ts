import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A trusted default kubeconfig file for HTTP-level tests (the fake cluster answers, nothing is dialled). */
export function writeDefaultKubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'istio-api-test-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: fake, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: fake, user: {token: fake-token}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: fake}}]',
      'current-context: fake',
    ].join('\n'),
  );
  return path;
}
