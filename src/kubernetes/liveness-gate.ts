/**
 * "Has the API server answered since I asked?" A watch cannot tell a quiet API server from a frozen
 * one (a stopped process keeps its connections open and sends nothing), so before a cached answer
 * is served, a cheap probe must succeed that was sent after the request arrived. Concurrent callers
 * share probes: a caller joins the probe that has not started yet, never one already in flight
 * (which may have been answered before the caller arrived). So at most one probe runs at a time and
 * the API server sees one small request per round trip, however many callers wait.
 */
export class LivenessGate {
  private inflight?: Promise<void>;
  private queued?: Promise<void>;

  constructor(private readonly probe: () => Promise<unknown>) {}

  /** Resolves when a probe sent after this call succeeded; rejects with that probe's error. */
  check(): Promise<void> {
    if (!this.inflight) return this.launch();
    if (!this.queued) {
      const next = this.inflight.then(
        () => undefined,
        () => undefined,
      );
      this.queued = next.then(() => {
        this.queued = undefined;
        return this.launch();
      });
    }
    return this.queued;
  }

  private launch(): Promise<void> {
    const probe: Promise<void> = Promise.resolve()
      .then(this.probe)
      .then(() => undefined)
      .finally(() => {
        if (this.inflight === probe) this.inflight = undefined;
      });
    this.inflight = probe;
    return probe;
  }
}
