import { ApiException } from '@kubernetes/client-node';
import { ApiError } from '../common/api-error.js';
import { mapKubernetesError } from './kubernetes-error.mapper.js';

const context = { action: 'list virtualservices in namespace payments', override: false, timeoutMs: 1500 };
const secretBody = '{"kind":"Status","message":"token sk-live-SECRET rejected","details":"Bearer sk-live-SECRET"}';

function upstream(code: number) {
  return new ApiException(code, `HTTP-Code: ${code}\nBody: ${secretBody}\nHeaders: {"authorization":"Bearer sk-live-SECRET"}`, secretBody, { authorization: 'Bearer sk-live-SECRET' });
}

describe('mapKubernetesError', () => {
  it.each<[string, unknown, boolean, string, number]>([
    ['401 with own credentials', upstream(401), false, 'KUBERNETES_AUTH_FAILED', 502],
    ['401 with an override', upstream(401), true, 'KUBECONFIG_CREDENTIALS_REJECTED', 400],
    ['403', upstream(403), false, 'KUBERNETES_FORBIDDEN', 403],
    ['404', upstream(404), false, 'NOT_FOUND', 404],
    ['409', upstream(409), false, 'CONFLICT', 409],
    ['422', upstream(422), false, 'KUBERNETES_REJECTED', 422],
    ['429', upstream(429), false, 'KUBERNETES_UNAVAILABLE', 503],
    ['500', upstream(500), false, 'KUBERNETES_UNAVAILABLE', 503],
    ['a network failure', new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:6443') }), false, 'KUBERNETES_UNAVAILABLE', 503],
    ['a timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), false, 'KUBERNETES_UNAVAILABLE', 503],
  ])('maps %s', (_name, error, override, code, status) => {
    const mapped = mapKubernetesError(error, { ...context, override });
    expect(mapped.code).toBe(code);
    expect(mapped.status).toBe(status);
    expect(mapped.message).not.toMatch(/SECRET|Bearer|Body|ECONNREFUSED/);
  });

  it('says how long it waited on a timeout', () => {
    expect(mapKubernetesError(new DOMException('x', 'TimeoutError'), context).message).toBe(
      'The Kubernetes API did not answer within 1500 ms (list virtualservices in namespace payments)',
    );
  });

  it('names whose RBAC denied the call', () => {
    expect(mapKubernetesError(upstream(403), { ...context, override: true }).message).toBe(
      'Kubernetes RBAC does not allow the credentials of the supplied kubeconfig to list virtualservices in namespace payments',
    );
  });

  it('passes ApiErrors through unchanged', () => {
    const error = new ApiError('ISTIO_NOT_INSTALLED', 'x');
    expect(mapKubernetesError(error, context)).toBe(error);
  });
});
