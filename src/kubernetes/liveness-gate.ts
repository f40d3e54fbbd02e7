/**
 * "Has the API server answered since I asked?" A watch cannot tell a quiet API server from a frozen
 * one (a stopped process keeps its connections open and sends nothing), so before a cached answer
 * is served, a cheap probe must succeed that was still waiting for its answer when the request
 * arrived: the API server answered within one round trip of the request. Concurrent callers share
 * the probe in flight (single flight), so the API server sees at most one small request at a time
 * however many callers wait, and a caller waits at most one round trip. A probe that has already
 * been answered is never reused: a request that finds none in flight sends a new one, so after the
 * API server freezes, every later request waits for a probe that cannot succeed (and times out).
 */
export class LivenessGate {
  private inflight?: Promise<void>;

  constructor(private readonly probe: () => Promise<unknown>) {}

  /** Resolves when a probe in flight at the time of the call (or sent by it) succeeded; rejects with that probe's error. */
  check(): Promise<void> {
    if (this.inflight) return this.inflight;
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
