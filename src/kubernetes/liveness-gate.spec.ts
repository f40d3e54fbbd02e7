import { LivenessGate } from './liveness-gate.js';

/** A probe whose answers the test releases one by one. */
function controllableProbe() {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const probe = () =>
    new Promise<void>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { probe, pending };
}

const settled = async <T>(promise: Promise<T>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('LivenessGate', () => {
  it('one caller: one probe, resolved when it answers', async () => {
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe);
    const check = gate.check();
    await Promise.resolve();
    expect(pending).toHaveLength(1);
    pending[0]!.resolve();
    await expect(check).resolves.toBeUndefined();
  });

  it('callers arriving while a probe is in flight share it: one request to the API server', async () => {
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe);
    const checks = Array.from({ length: 100 }, () => gate.check());
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending).toHaveLength(1);
    pending[0]!.resolve();
    await Promise.all(checks);
  });

  it('an answered probe is never reused: the next caller sends a new one', async () => {
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe);
    const first = gate.check();
    await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.resolve();
    await first;
    // e.g. the API server froze right after answering: this caller must not get a free pass.
    const second = gate.check();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending).toHaveLength(2);
    expect(await settled(second)).toBe('pending');
    pending[1]!.reject(new Error('timeout'));
    await expect(second).rejects.toThrow('timeout');
  });

  it('a failed probe rejects its callers; the next call probes again', async () => {
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe);
    const check = gate.check();
    await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.reject(new Error('connect ECONNREFUSED'));
    await expect(check).rejects.toThrow('ECONNREFUSED');
    const again = gate.check();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending).toHaveLength(2);
    pending[1]!.resolve();
    await expect(again).resolves.toBeUndefined();
  });

  it('a probe that throws synchronously rejects instead of throwing', async () => {
    const gate = new LivenessGate(() => {
      throw new Error('no credentials');
    });
    await expect(gate.check()).rejects.toThrow('no credentials');
  });
});

describe('LivenessGate with a window', () => {
  const WINDOW_MS = 250;
  function gateAt(start = 1_000) {
    const clock = { now: start };
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe, WINDOW_MS, () => clock.now);
    return { clock, pending, gate };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  /** A gate whose first probe was sent and answered at the clock's current time. */
  async function answeredGate() {
    const answered = gateAt();
    const first = answered.gate.check();
    await tick();
    answered.pending[0]!.resolve();
    await first;
    return answered;
  }

  it('after an answer, callers within half the window are served at once and send nothing', async () => {
    const { clock, pending, gate } = await answeredGate();
    clock.now += WINDOW_MS / 2;
    for (let i = 0; i < 50; i++) await expect(gate.check()).resolves.toBeUndefined();
    expect(pending).toHaveLength(1);
  });

  it('past half the window, callers are still served at once and one background probe is sent', async () => {
    const { clock, pending, gate } = await answeredGate();
    clock.now += WINDOW_MS / 2 + 1;
    const checks = Array.from({ length: 20 }, () => gate.check());
    expect(await Promise.all(checks.map(settled))).toEqual(Array(20).fill('resolved'));
    await tick();
    expect(pending).toHaveLength(2);
    // Its answer renews the window from the time it was sent.
    pending[1]!.resolve();
    await tick();
    clock.now += WINDOW_MS / 2;
    await expect(gate.check()).resolves.toBeUndefined();
    expect(pending).toHaveLength(2);
  });

  it('past the window (e.g. the API server froze), callers wait for a new probe and get its failure', async () => {
    const { clock, pending, gate } = await answeredGate();
    clock.now += WINDOW_MS + 1;
    const waiting = [gate.check(), gate.check()];
    await tick();
    expect(pending).toHaveLength(2);
    expect(await settled(waiting[0]!)).toBe('pending');
    pending[1]!.reject(new Error('did not answer within 2000 ms'));
    for (const check of waiting) await expect(check).rejects.toThrow('did not answer');
  });

  it('the window counts from when the answered probe was sent, not when its answer came', async () => {
    const { clock, pending, gate } = gateAt();
    const first = gate.check();
    await tick();
    clock.now += 200; // a slow answer
    pending[0]!.resolve();
    await first;
    clock.now += WINDOW_MS - 200 + 1;
    const late = gate.check();
    await tick();
    expect(await settled(late)).toBe('pending');
    pending[1]!.resolve();
    await late;
  });

  it('a failed background probe ends the window: the next caller probes again and sees the failure', async () => {
    const { clock, pending, gate } = await answeredGate();
    clock.now += WINDOW_MS / 2 + 1;
    await gate.check(); // served; sends the background probe
    await tick();
    pending[1]!.reject(new Error('forbidden'));
    await tick();
    const next = gate.check(); // still inside the old window, but the last probe failed
    await tick();
    expect(pending).toHaveLength(3);
    pending[2]!.reject(new Error('forbidden'));
    await expect(next).rejects.toThrow('forbidden');
  });
});
