import { Informer, type InformerOptions, type InformerSource, type ListPage, type WatchEvent } from './informer.js';
import type { IstioObject } from './kubernetes.types.js';
import { normalizeListItem } from './object-store.js';
import { eventually } from '../../test/support/wait.js';

const vs = (namespace: string, name: string, resourceVersion: string, weight = 100): IstioObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { namespace, name, resourceVersion },
  spec: { http: [{ route: [{ destination: { host: name }, weight }] }] },
});

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { code: status });

interface OpenWatch {
  resourceVersion: string;
  emit(type: WatchEvent['type'], object: unknown): void;
  end(error?: unknown): void;
  stopped: boolean;
}

/**
 * A scripted API server: list answers are queued (a page, or an error to throw); each watch()
 * either connects (the test then emits events and ends it) or fails at once with a queued error.
 */
class FakeSource implements InformerSource {
  readonly lists: (ListPage | Error)[] = [];
  readonly listCalls: (string | undefined)[] = [];
  readonly watchFailures: unknown[] = [];
  readonly watches: OpenWatch[] = [];

  normalize = (object: IstioObject) => normalizeListItem(object, 'networking.istio.io/v1');

  async list(continueToken: string | undefined): Promise<ListPage> {
    this.listCalls.push(continueToken);
    const next = this.lists.shift();
    if (!next) throw new Error('unexpected list');
    if (next instanceof Error) throw next;
    return structuredClone(next);
  }

  async watch(resourceVersion: string, onEvent: (event: WatchEvent) => void, onDone: (error: unknown) => void): Promise<() => void> {
    if (this.watchFailures.length > 0) {
      onDone(this.watchFailures.shift());
      return () => undefined;
    }
    let ended = false;
    const open: OpenWatch = {
      resourceVersion,
      stopped: false,
      emit: (type, object) => {
        if (!ended) onEvent({ type, object: structuredClone(object) });
      },
      end: (error) => {
        if (ended) return;
        ended = true;
        onDone(error);
      },
    };
    this.watches.push(open);
    return () => {
      open.stopped = true;
      open.end();
    };
  }

  get lastWatch(): OpenWatch {
    const watch = this.watches[this.watches.length - 1];
    if (!watch) throw new Error('no watch opened');
    return watch;
  }
}

const names = (objects: readonly IstioObject[]) => objects.map((object) => `${object.metadata.name}@${object.metadata.resourceVersion}`);

describe('Informer', () => {
  const fast: Partial<InformerOptions> = { backoffInitialMs: 5, backoffMaxMs: 20 };
  let source: FakeSource;
  let informer: Informer;

  beforeEach(() => {
    source = new FakeSource();
  });
  afterEach(() => informer?.stop());

  async function synced(items: IstioObject[], options: Partial<InformerOptions> = fast): Promise<void> {
    source.lists.push({ items, resourceVersion: '10' });
    informer = new Informer(source, options);
    informer.ensureStarted();
    await eventually(() => informer.synced, 2_000, 2);
  }

  it('is not synced before the list and the watch are done; then serves the namespace from memory', async () => {
    informer = new Informer(source, fast);
    expect(informer.state).toBe('idle');
    expect(informer.synced).toBe(false);
    source.lists.push({ items: [vs('a', 'y', '5'), vs('a', 'x', '6'), vs('b', 'z', '7')], resourceVersion: '10' });
    informer.ensureStarted();
    expect(informer.synced).toBe(false);
    await eventually(() => informer.synced, 2_000, 2);
    expect(source.lastWatch.resourceVersion).toBe('10');
    expect(names(informer.list('a'))).toEqual(['x@6', 'y@5']);
    expect(informer.size).toBe(3);
    // Started once: later uses do not list again.
    informer.ensureStarted();
    expect(source.listCalls).toHaveLength(1);
  });

  it('reads every page of a paginated list, at the first page resourceVersion', async () => {
    source.lists.push({ items: [vs('a', 'x', '1')], resourceVersion: '10', continueToken: 'page2' }, { items: [vs('a', 'y', '2')], resourceVersion: '10' });
    informer = new Informer(source, fast);
    informer.ensureStarted();
    await eventually(() => informer.synced, 2_000, 2);
    expect(source.listCalls).toEqual([undefined, 'page2']);
    expect(names(informer.list('a'))).toEqual(['x@1', 'y@2']);
  });

  it('applies added, modified and deleted objects (new namespaces too), and tracks the resourceVersion', async () => {
    await synced([vs('a', 'x', '5'), vs('a', 'y', '6')]);
    source.lastWatch.emit('MODIFIED', vs('a', 'x', '11', 30));
    source.lastWatch.emit('DELETED', vs('a', 'y', '12'));
    source.lastWatch.emit('ADDED', vs('new-namespace', 'n', '13'));
    source.lastWatch.emit('BOOKMARK', { metadata: { resourceVersion: '20' } });
    expect(names(informer.list('a'))).toEqual(['x@11']);
    expect((informer.list('a')[0]!.spec as { http: { route: { weight: number }[] }[] }).http[0]!.route[0]!.weight).toBe(30);
    expect(names(informer.list('new-namespace'))).toEqual(['n@13']);
    // A watch that ran and ended normally resumes from the last resourceVersion, without a relist.
    source.lastWatch.end();
    await eventually(() => source.watches.length === 2 && informer.synced, 2_000, 2);
    expect(source.lastWatch.resourceVersion).toBe('20');
    expect(source.listCalls).toHaveLength(1);
  });

  it('drops managedFields from watched objects and keeps them frozen', async () => {
    await synced([]);
    source.lastWatch.emit('ADDED', { ...vs('a', 'x', '11'), metadata: { ...vs('a', 'x', '11').metadata, managedFields: [{ manager: 'kubectl' }] } });
    const [object] = informer.list('a');
    expect(object!.metadata).not.toHaveProperty('managedFields');
    expect(Object.isFrozen(object!.spec)).toBe(true);
  });

  it('relists after a 410 Gone ERROR event (resourceVersion too old), replacing the cache', async () => {
    await synced([vs('a', 'x', '5'), vs('a', 'gone', '6')]);
    source.lists.push({ items: [vs('a', 'x', '30')], resourceVersion: '31' });
    source.lastWatch.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    source.lastWatch.end();
    await eventually(() => source.watches.length === 2 && informer.synced, 2_000, 2);
    expect(source.listCalls).toHaveLength(2);
    expect(source.lastWatch.resourceVersion).toBe('31');
    expect(names(informer.list('a'))).toEqual(['x@30']);
  });

  it('relists when the watch request itself answers 410', async () => {
    await synced([vs('a', 'x', '5')]);
    source.lists.push({ items: [], resourceVersion: '40' });
    source.lastWatch.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await eventually(() => source.watches.length === 2 && informer.synced, 2_000, 2);
    expect(informer.list('a')).toEqual([]);
  });

  it('a watch refused by RBAC (403) lists again, and the refused list disables the cache', async () => {
    await synced([vs('a', 'x', '5')]);
    source.lists.push(httpError(403));
    source.lastWatch.end(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
    await eventually(() => informer.state === 'disabled', 2_000, 2);
    expect(source.listCalls).toHaveLength(2);
    expect(informer.size).toBe(0);
  });

  it('is not synced while the watch is broken; backs off, then resumes from the last resourceVersion', async () => {
    await synced([vs('a', 'x', '5')]);
    source.lastWatch.emit('MODIFIED', vs('a', 'x', '15'));
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    source.watchFailures.push(refused, refused);
    source.lastWatch.end(new TypeError('terminated'));
    expect(informer.synced).toBe(false);
    expect(informer.state).toBe('reconnecting');
    await eventually(() => source.watches.length === 2 && informer.synced, 3_000, 2);
    expect(source.lastWatch.resourceVersion).toBe('15');
    expect(source.listCalls).toHaveLength(1);
    expect(names(informer.list('a'))).toEqual(['x@15']);
  });

  it('retries a failed list with backoff until it succeeds', async () => {
    source.lists.push(new TypeError('fetch failed'), httpError(503), { items: [vs('a', 'x', '1')], resourceVersion: '2' });
    informer = new Informer(source, fast);
    informer.ensureStarted();
    await eventually(() => informer.synced, 2_000, 2);
    expect(source.listCalls).toHaveLength(3);
  });

  it.each([403, 401, 404])('a list answered %i disables it (direct reads) until the retry delay has passed', async (status) => {
    let now = 1_000;
    source.lists.push(httpError(status));
    informer = new Informer(source, { ...fast, retryDisabledAfterMs: 60_000, now: () => now });
    informer.ensureStarted();
    await eventually(() => informer.state === 'disabled', 2_000, 2);
    now += 59_000;
    informer.ensureStarted();
    expect(source.listCalls).toHaveLength(1);
    now += 1_000;
    source.lists.push({ items: [], resourceVersion: '1' });
    informer.ensureStarted();
    await eventually(() => informer.synced, 2_000, 2);
    expect(source.listCalls).toHaveLength(2);
  });

  it('bounds memory: more objects than maxObjects disables it, from the list or from the watch', async () => {
    source.lists.push({ items: [vs('a', 'x', '1'), vs('a', 'y', '2'), vs('a', 'z', '3')], resourceVersion: '4' });
    informer = new Informer(source, { ...fast, maxObjects: 2 });
    informer.ensureStarted();
    await eventually(() => informer.state === 'disabled', 2_000, 2);
    expect(source.watches).toHaveLength(0);

    source.lists.push({ items: [vs('a', 'x', '1')], resourceVersion: '4' });
    const second = new Informer(source, { ...fast, maxObjects: 2 });
    second.ensureStarted();
    await eventually(() => second.synced, 2_000, 2);
    source.lastWatch.emit('ADDED', vs('a', 'y', '5'));
    expect(second.synced).toBe(true);
    source.lastWatch.emit('ADDED', vs('a', 'z', '6'));
    expect(second.state).toBe('disabled');
    expect(second.size).toBe(0);
    expect(source.lastWatch.stopped).toBe(true);
  });

  it('disable() drops the cache and ends the watch', async () => {
    await synced([vs('a', 'x', '5')]);
    informer.disable('probe refused (HTTP 403)');
    expect(informer.synced).toBe(false);
    expect(informer.size).toBe(0);
    expect(source.lastWatch.stopped).toBe(true);
  });

  it('stop() ends the watch and ignores anything that arrives later', async () => {
    await synced([vs('a', 'x', '5')]);
    const watch = source.lastWatch;
    informer.stop();
    expect(watch.stopped).toBe(true);
    expect(informer.state).toBe('stopped');
    watch.emit('ADDED', vs('a', 'late', '9'));
    expect(informer.list('a')).toEqual([]);
    informer.ensureStarted();
    expect(source.listCalls).toHaveLength(1);
  });

  it('a list that completes after stop() is discarded', async () => {
    let release!: (page: ListPage) => void;
    const slow: InformerSource = {
      ...source,
      normalize: source.normalize,
      watch: source.watch.bind(source),
      list: () => new Promise<ListPage>((resolve) => (release = resolve)),
    };
    informer = new Informer(slow, fast);
    informer.ensureStarted();
    informer.stop();
    release({ items: [vs('a', 'x', '1')], resourceVersion: '2' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(informer.state).toBe('stopped');
    expect(source.watches).toHaveLength(0);
  });

  it('reports state changes (for logs)', async () => {
    const states: string[] = [];
    source.lists.push({ items: [], resourceVersion: '1' });
    informer = new Informer(source, { ...fast, onStateChange: (state) => states.push(state) });
    informer.ensureStarted();
    await eventually(() => informer.synced, 2_000, 2);
    expect(states).toEqual(['listing', 'watching']);
  });
});
