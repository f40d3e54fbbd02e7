import { KubeConfig } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../common/api-error.js';
import { b64, encodeKubeconfig, testCaPem } from '../../test/support/kubeconfig-fixtures.js';
import { sanitizeKubeconfig, type OverridePolicy } from './kubeconfig.sanitizer.js';

const policy: OverridePolicy = { maxBytes: 65_536, allowedServers: [] };

function refusal(encoded: string, withPolicy: OverridePolicy = policy): { code: string; message: string } {
  try {
    sanitizeKubeconfig(encoded, withPolicy);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('expected the kubeconfig to be refused');
}

const dir = mkdtempSync(join(tmpdir(), 'istio-api-sanitizer-'));
const marker = join(dir, 'pwned');
const secretFile = join(dir, 'server-secret-token');
writeFileSync(secretFile, 'server-service-account-token');

const execUser = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', `touch ${marker}; echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x"}}'`] } };

describe('sanitizeKubeconfig', () => {
  it('keeps the passive fields of a token kubeconfig', () => {
    const safe = sanitizeKubeconfig(encodeKubeconfig({ cluster: { server: 'https://10.0.0.1:6443/', 'certificate-authority-data': b64(testCaPem()), 'tls-server-name': 'kubernetes' } }), policy);
    expect(safe).toMatchObject({
      contextName: 'ctx',
      namespace: 'payments',
      cluster: { name: 'c', server: 'https://10.0.0.1:6443', tlsServerName: 'kubernetes' },
      user: { name: 'u', token: 'abc' },
    });
    expect(safe.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts client certificate credentials', () => {
    const key = b64('-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB\n-----END PRIVATE KEY-----\n');
    const safe = sanitizeKubeconfig(encodeKubeconfig({ user: { 'client-certificate-data': b64(testCaPem()), 'client-key-data': key } }), policy);
    expect(safe.user.certData).toBe(b64(testCaPem()));
  });

  it.each<[string, Parameters<typeof encodeKubeconfig>[0], string, string]>([
    ['an exec plugin', { user: execUser }, 'KUBECONFIG_FIELD_REFUSED', 'users[0].user.exec'],
    ['a gcp auth-provider', { user: { 'auth-provider': { name: 'gcp', config: { 'cmd-path': 'sh', 'cmd-args': `-c "touch ${marker}"` } } } }, 'KUBECONFIG_FIELD_REFUSED', 'users[0].user.auth-provider'],
    ['an azure auth-provider', { user: { 'auth-provider': { name: 'azure', config: {} } } }, 'KUBECONFIG_FIELD_REFUSED', 'auth-provider'],
    ['an oidc auth-provider', { user: { 'auth-provider': { name: 'oidc', config: { 'idp-issuer-url': 'https://x' } } } }, 'KUBECONFIG_FIELD_REFUSED', 'auth-provider'],
    ['token-file', { user: { 'token-file': secretFile } }, 'KUBECONFIG_FIELD_REFUSED', 'users[0].user.token-file'],
    ['tokenFile', { user: { tokenFile: secretFile } }, 'KUBECONFIG_FIELD_REFUSED', 'users[0].user.tokenFile'],
    ['a client certificate path', { user: { 'client-certificate': '/etc/ssl/cert.pem', 'client-key-data': 'eA==' } }, 'KUBECONFIG_FIELD_REFUSED', 'client-certificate'],
    ['a client key path', { user: { token: 'a', 'client-key': '/etc/ssl/private/key.pem' } }, 'KUBECONFIG_FIELD_REFUSED', 'client-key'],
    ['a CA path', { cluster: { server: 'https://1.2.3.4', 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' } }, 'KUBECONFIG_FIELD_REFUSED', 'clusters[0].cluster.certificate-authority'],
    ['proxy-url', { cluster: { server: 'https://1.2.3.4', 'proxy-url': 'http://evil:3128' } }, 'KUBECONFIG_FIELD_REFUSED', 'proxy-url'],
    ['impersonation (as)', { user: { token: 'a', as: 'system:admin' } }, 'KUBECONFIG_FIELD_REFUSED', 'users[0].user.as'],
    ['impersonation (as-groups)', { user: { token: 'a', 'as-groups': ['system:masters'] } }, 'KUBECONFIG_FIELD_REFUSED', 'as-groups'],
    ['basic auth', { user: { username: 'admin', password: 'x' } }, 'KUBECONFIG_FIELD_REFUSED', 'username'],
    ['insecure-skip-tls-verify', { cluster: { server: 'https://1.2.3.4', 'insecure-skip-tls-verify': true } }, 'KUBECONFIG_FIELD_REFUSED', 'insecure-skip-tls-verify'],
    ['an http server', { cluster: { server: 'http://1.2.3.4:8080' } }, 'KUBECONFIG_FIELD_REFUSED', 'only https servers'],
    ['a file:// server', { cluster: { server: 'file:///etc/passwd' } }, 'KUBECONFIG_FIELD_REFUSED', 'only https servers'],
    ['credentials in the server URL', { cluster: { server: 'https://user:pw@1.2.3.4' } }, 'INVALID_KUBECONFIG', 'must not carry credentials'],
    ['an unknown cluster field', { cluster: { server: 'https://1.2.3.4', 'disable-compression': true } }, 'KUBECONFIG_FIELD_REFUSED', 'disable-compression'],
    ['a user without credentials', { user: {} }, 'INVALID_KUBECONFIG', 'needs a token'],
    ['a context naming a missing user', { context: { cluster: 'c', user: 'ghost' } }, 'INVALID_KUBECONFIG', 'names user "ghost"'],
    ['a missing current-context', { currentContext: null }, 'INVALID_KUBECONFIG', 'no current-context'],
    ['a current-context that does not exist', { currentContext: 'other' }, 'INVALID_KUBECONFIG', 'is not among its contexts'],
    ['a CA that is not a certificate', { cluster: { server: 'https://1.2.3.4', 'certificate-authority-data': b64('hello') } }, 'INVALID_KUBECONFIG', 'not a PEM certificate'],
    ['a hostile user behind a harmless current context', { extraUsers: [{ name: 'evil', user: execUser }] }, 'KUBECONFIG_FIELD_REFUSED', 'users[1].user.exec'],
    ['a hostile cluster behind a harmless current context', { extraClusters: [{ name: 'evil', cluster: { server: 'https://x', 'proxy-url': 'http://p' } }] }, 'KUBECONFIG_FIELD_REFUSED', 'clusters[1].cluster.proxy-url'],
    ['unknown top-level fields', { root: { 'exec-plugins': {} } }, 'KUBECONFIG_FIELD_REFUSED', 'exec-plugins'],
  ])('refuses %s', (_name, parts, code, mention) => {
    const result = refusal(encodeKubeconfig(parts));
    expect(result.code).toBe(code);
    expect(result.message).toContain(mention);
  });

  it('refuses servers outside the allow-list and accepts those on it', () => {
    const allowList = { ...policy, allowedServers: ['https://10.0.0.1:6443'] };
    expect(refusal(encodeKubeconfig({ cluster: { server: 'https://10.0.0.2:6443' } }), allowList).code).toBe('SERVER_NOT_ALLOWED');
    expect(sanitizeKubeconfig(encodeKubeconfig({ cluster: { server: 'https://10.0.0.1:6443' } }), allowList).cluster.server).toBe('https://10.0.0.1:6443');
  });

  it.each([
    ['invalid base64', '%%%not-base64%%%', 'not valid base64'],
    ['base64 of non-YAML', b64('{{{: ['), 'not valid YAML'],
    ['base64 of a scalar', b64('just a string'), 'must be a mapping'],
    ['binary content', b64('\u0000\u0001'), 'not text'],
    ['duplicate keys', b64('current-context: a\ncurrent-context: b\n'), 'not valid YAML'],
    ['a code tag', b64('users: [{name: u, user: {token: !!js/function "function(){}"}}]\ncurrent-context: ctx\n'), 'YAML tags'],
  ])('refuses %s', (_name, encoded, mention) => {
    const result = refusal(encoded);
    expect(result.code).toBe('INVALID_KUBECONFIG');
    expect(result.message).toContain(mention);
  });

  it('refuses oversize input before decoding it', () => {
    const result = refusal('A'.repeat(70_000));
    expect(result).toEqual({ code: 'INVALID_KUBECONFIG', message: 'Kubeconfig override is larger than 65536 bytes' });
  });

  it('refuses YAML aliases (billion laughs) without expanding them', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    lines.push('current-context: ctx');
    const started = Date.now();
    const result = refusal(b64(lines.join('\n')));
    expect(result.code).toBe('INVALID_KUBECONFIG');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses even a single harmless-looking alias', () => {
    const doc = `clusters: &c [{name: c, cluster: {server: "https://1.2.3.4"}}]\nusers: [{name: u, user: {token: a}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u}}]\ncurrent-context: ctx\nx: *c\n`;
    expect(refusal(b64(doc)).message).toContain('alias');
  });

  describe('the exec attack', () => {
    it('control: the client library itself runs an exec plugin from a kubeconfig (why sanitizing matters)', async () => {
      const control = join(dir, 'control-marker');
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(
        Buffer.from(encodeKubeconfig({ user: { exec: { ...execUser.exec, args: ['-c', execUser.exec.args[1]!.replace(marker, control)] } } }), 'base64').toString(),
      );
      await kubeConfig.applySecurityAuthentication({ setHeaderParam: () => undefined, getUrl: () => 'https://127.0.0.1:6443', setDispatcher: () => undefined } as never).catch(() => undefined);
      expect(existsSync(control)).toBe(true);
    });

    it('a sanitized exec kubeconfig runs nothing', () => {
      expect(refusal(encodeKubeconfig({ user: execUser })).code).toBe('KUBECONFIG_FIELD_REFUSED');
      expect(existsSync(marker)).toBe(false);
    });
  });
});
