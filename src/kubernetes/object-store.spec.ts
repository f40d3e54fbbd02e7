import type { IstioObject } from './kubernetes.types.js';
import { deepFreeze } from '../common/deep-freeze.js';
import { normalizeListItem, ObjectStore } from './object-store.js';

const vs = (namespace: string, name: string, resourceVersion = '1'): IstioObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { namespace, name, resourceVersion },
  spec: { hosts: [name], http: [{ route: [{ destination: { host: name }, weight: 100 }] }] },
});

describe('ObjectStore', () => {
  it('lists a namespace sorted by name in byte order, like the API server', () => {
    const store = new ObjectStore();
    store.replaceAll([vs('a', 'reviews'), vs('a', 'Details'), vs('a', 'api'), vs('b', 'other')]);
    expect(store.list('a').map((object) => object.metadata.name)).toEqual(['Details', 'api', 'reviews']);
    expect(store.list('b')).toHaveLength(1);
    expect(store.list('missing')).toEqual([]);
    expect(store.size).toBe(4);
  });

  it('applies upserts and removals, and rebuilds only the changed namespace', () => {
    const store = new ObjectStore();
    store.replaceAll([vs('a', 'x'), vs('b', 'y')]);
    const before = store.list('b');
    store.upsert(vs('a', 'x', '2'));
    store.upsert(vs('a', 'z'));
    store.remove('b', 'y');
    store.remove('b', 'never-there');
    expect(store.list('a').map((object) => `${object.metadata.name}@${object.metadata.resourceVersion}`)).toEqual(['x@2', 'z@1']);
    expect(store.list('b')).toEqual([]);
    expect(before).toHaveLength(1);
    expect(store.size).toBe(2);
  });

  it('returns a frozen snapshot of deep-frozen objects, the same until the namespace changes: callers cannot change what others read', () => {
    const store = new ObjectStore();
    store.replaceAll([vs('a', 'x')]);
    const [object] = store.list('a');
    expect(() => {
      (object!.spec as { hosts: string[] }).hosts.push('evil');
    }).toThrow(TypeError);
    expect(() => {
      object!.metadata.name = 'renamed';
    }).toThrow(TypeError);
    const list = store.list('a');
    expect(() => (list as IstioObject[]).pop()).toThrow(TypeError);
    expect(store.list('a')).toHaveLength(1);
    expect(store.list('a')[0]!.spec).toEqual(vs('a', 'x').spec);
    expect(store.list('a')).toBe(list);
    store.upsert(vs('b', 'other-namespace'));
    expect(store.list('a')).toBe(list);
    store.upsert(vs('a', 'x', '2'));
    expect(store.list('a')).not.toBe(list);
    expect(list[0]!.metadata.resourceVersion).toBe('1');
  });

  it('clear() empties everything', () => {
    const store = new ObjectStore();
    store.replaceAll([vs('a', 'x')]);
    store.clear();
    expect(store.size).toBe(0);
    expect(store.list('a')).toEqual([]);
  });
});

describe('normalizeListItem / deepFreeze', () => {
  it('fills a missing apiVersion, keeps a present one, and drops managedFields', () => {
    const item = { kind: 'VirtualService', metadata: { name: 'x', namespace: 'a', managedFields: [{ manager: 'kubectl' }] } } as unknown as IstioObject;
    expect(normalizeListItem(item, 'networking.istio.io/v1')).toEqual({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'x', namespace: 'a' } });
    expect(normalizeListItem(vs('a', 'y'), 'networking.istio.io/v1beta1').apiVersion).toBe('networking.istio.io/v1');
  });

  it('freezes nested arrays and objects', () => {
    const value = deepFreeze({ a: [{ b: 1 }], c: { d: [2] } });
    expect(Object.isFrozen(value.a[0])).toBe(true);
    expect(Object.isFrozen(value.c.d)).toBe(true);
  });
});
