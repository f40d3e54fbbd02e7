import { deepFreeze } from '../common/deep-freeze.js';
import type { IstioObject } from './kubernetes.types.js';


/**
 * The shape list() returns, from the API server or from the cache: apiVersion filled in (lists may
 * omit it on items) and metadata.managedFields dropped (server-side-apply bookkeeping, often a
 * third of an object's size; no view uses it). Mutates and returns the given object.
 */
export function normalizeListItem(object: IstioObject, apiVersion: string): IstioObject {
  object.apiVersion ??= apiVersion;
  delete (object.metadata as { managedFields?: unknown }).managedFields;
  return object;
}

/** Byte order of names, like the API server's (etcd key) order in list answers. */
const byName = (a: IstioObject, b: IstioObject): number => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

/**
 * The objects of one resource type, by namespace and name. Everything stored is deep-frozen, so a
 * handler that tried to change a cached object would throw instead of corrupting other callers'
 * answers. A namespace's sorted list is built once per change and handed out (frozen) until the
 * next change replaces it, so callers can derive and reuse answers per snapshot (SnapshotMemo).
 */
export class ObjectStore {
  private readonly namespaces = new Map<string, Map<string, IstioObject>>();
  private readonly snapshots = new Map<string, readonly IstioObject[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Replaces everything (after a full list). */
  replaceAll(objects: readonly IstioObject[]): void {
    this.namespaces.clear();
    this.snapshots.clear();
    this.count = 0;
    for (const object of objects) this.upsert(object);
  }

  upsert(object: IstioObject): void {
    const { namespace, name } = object.metadata;
    let objects = this.namespaces.get(namespace);
    if (!objects) {
      objects = new Map();
      this.namespaces.set(namespace, objects);
    }
    if (!objects.has(name)) this.count++;
    objects.set(name, deepFreeze(object));
    this.snapshots.delete(namespace);
  }

  remove(namespace: string, name: string): void {
    const objects = this.namespaces.get(namespace);
    if (!objects?.delete(name)) return;
    this.count--;
    if (objects.size === 0) this.namespaces.delete(namespace);
    this.snapshots.delete(namespace);
  }

  /** The namespace's objects sorted by name: a frozen snapshot, the same array until the namespace changes. */
  list(namespace: string): readonly IstioObject[] {
    let snapshot = this.snapshots.get(namespace);
    if (!snapshot) {
      snapshot = Object.freeze([...(this.namespaces.get(namespace)?.values() ?? [])].sort(byName));
      this.snapshots.set(namespace, snapshot);
    }
    return snapshot;
  }

  clear(): void {
    this.replaceAll([]);
  }
}
