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
