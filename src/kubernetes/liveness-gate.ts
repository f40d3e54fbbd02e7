/**
 * "Has the API server answered recently?" A watch cannot tell a quiet API server from a frozen
 * one (a stopped process keeps its connections open and sends nothing), so before a cached answer
 * is served, the API server must have answered a cheap probe that was sent at most `windowMs`
 * before the request arrived.
 *
 * - Concurrent callers share the probe in flight (single flight): the API server sees at most one
 *   probe at a time however many callers wait, and a caller waits at most one round trip.
 * - With a window (> 0), a caller who finds a recent enough answer is served at once; once half the
 *   window has passed, it also sends the next probe in the background, so under steady traffic
 *   nobody waits and the API server sees about two probes per window instead of one per request.
 * - After the API server freezes, callers are served from the cache for at most `windowMs` (the
 *   bound on how stale such an answer can be); every later caller waits for a probe that cannot
 *   succeed and gets its timeout. A failed probe forgets the last answer, so the next caller
 *   probes again and sees the failure itself (e.g. RBAC now refusing the list).
 * - With `windowMs` 0 an answered probe is never reused: every caller waits for a probe that was
 *   still in flight when it arrived.
 */
export class LivenessGate {
  private inflight?: Promise<void>;
  /** When the last successful probe was sent (monotonic ms): the API server was alive after that. */
  private aliveSince = -Infinity;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly windowMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves when the API server answered a probe sent within the window (or in flight at the call); rejects with that probe's error. */
  check(): Promise<void> {
    const age = this.now() - this.aliveSince;
    if (this.windowMs > 0 && age <= this.windowMs) {
      // Background refresh: its failure reaches whoever next needs a probe (aliveSince is reset).
      if (age > this.windowMs / 2) this.send().catch(() => undefined);
      return Promise.resolve();
    }
    return this.send();
  }

  private send(): Promise<void> {
    if (this.inflight) return this.inflight;
    const sentAt = this.now();
    const probe: Promise<void> = Promise.resolve()
      .then(this.probe)
      .then(
        () => {
          this.aliveSince = Math.max(this.aliveSince, sentAt);
        },
        (error: unknown) => {
          this.aliveSince = -Infinity;
          throw error;
        },
      )
      .finally(() => {
        if (this.inflight === probe) this.inflight = undefined;
      });
    this.inflight = probe;
    return probe;
  }
}
