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

  it('a caller never rides on a probe sent before it arrived', async () => {
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe);
    const first = gate.check();
    await new Promise((resolve) => setImmediate(resolve));
    const second = gate.check();
    pending[0]!.resolve();
    expect(await settled(first)).toBe('resolved');
    // The first probe may have been answered before `second` was asked: it waits for the next one.
    expect(await settled(second)).toBe('pending');
    expect(pending).toHaveLength(2);
    pending[1]!.resolve();
    expect(await settled(second)).toBe('resolved');
  });

  it('many concurrent callers share probes: one in flight, at most one queued', async () => {
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe);
    const first = gate.check();
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = Array.from({ length: 100 }, () => gate.check());
    pending[0]!.resolve();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending).toHaveLength(2);
    pending[1]!.resolve();
    await Promise.all(waiting);
    expect(pending).toHaveLength(2);
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

  it('callers queued behind a failed probe get a probe of their own', async () => {
    const { probe, pending } = controllableProbe();
    const gate = new LivenessGate(probe);
    const first = gate.check().catch((error: Error) => error.message);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = gate.check();
    pending[0]!.reject(new Error('timeout'));
    expect(await first).toBe('timeout');
    await new Promise((resolve) => setImmediate(resolve));
    pending[1]!.resolve();
    await expect(queued).resolves.toBeUndefined();
  });

  it('a probe that throws synchronously rejects instead of throwing', async () => {
    const gate = new LivenessGate(() => {
      throw new Error('no credentials');
    });
    await expect(gate.check()).rejects.toThrow('no credentials');
  });
});
