import { Logger } from '@nestjs/common';
import { Informer, type InformerOptions, type InformerSource } from './informer.js';
import { LivenessGate } from './liveness-gate.js';
import type { IstioResource } from './kubernetes.types.js';

export interface CachedResource {
  readonly version: string;
  readonly informer: Informer;
  /** A probe in flight when the caller arrived (or sent for it) must succeed before the cache is served (see LivenessGate). */
  readonly gate: LivenessGate;
}

/** What the cache needs from a cluster client for one resource type at one version. */
export interface WatchCacheBackend {
  source(resource: IstioResource, version: string): InformerSource;
  /** A cheap read that proves the API server (and its storage) answers and still allows the list. */
  probe(resource: IstioResource, version: string): Promise<unknown>;
}

export type WatchCacheOptions = Partial<InformerOptions> & {
  /** How long a successful liveness probe vouches for the cache (see LivenessGate); 0 = a probe per read. */
  livenessWindowMs?: number;
};

/**
 * The watch-backed caches of one cluster (the service's own; overrides never get one): one
 * cluster-wide Informer per resource type, started on its first list, at the version the cluster
 * prefers (a changed preferred version replaces the informer).
 */
export class WatchCache {
  private readonly logger = new Logger('WatchCache');
  private readonly resources = new Map<string, CachedResource>();
  /** Resource types whose last reported state was a healthy sync. */
  private readonly quiet = new Set<string>();

  constructor(
    private readonly backend: WatchCacheBackend,
    private readonly options: WatchCacheOptions = {},
  ) {}

  /** The cache of a resource type, started if needed. Serve from it only when `informer.synced`. */
  entry(resource: IstioResource, version: string): CachedResource {
    let entry = this.resources.get(resource.plural);
    if (entry && entry.version !== version) {
      entry.informer.stop();
      entry = undefined;
    }
    if (!entry) {
      const name = `${resource.plural}.${resource.group}/${version}`;
      const { livenessWindowMs = 0, ...informerOptions } = this.options;
      const informer = new Informer(this.backend.source(resource, version), {
        ...informerOptions,
        onStateChange: (state, detail) => this.logState(name, informer, state, detail),
      });
      entry = { version, informer, gate: new LivenessGate(() => this.backend.probe(resource, version), livenessWindowMs) };
      this.resources.set(resource.plural, entry);
    }
    entry.informer.ensureStarted();
    return entry;
  }

  close(): void {
    for (const entry of this.resources.values()) entry.informer.stop();
    this.resources.clear();
  }

  /** Transitions worth an operator's attention: first sync, failures, recovery, disabling. Routine watch renewals are debug. */
  private logState(name: string, informer: Informer, state: string, detail: string | undefined): void {
    const message = { msg: `watch cache ${state}`, resource: name, objects: informer.size, ...(detail ? { detail } : {}) };
    if (detail) {
      this.quiet.delete(name);
      this.logger.warn(message);
    } else if (state === 'watching' && !this.quiet.has(name)) {
      this.quiet.add(name);
      this.logger.log(message);
    } else {
      this.logger.debug(message);
    }
  }
}
