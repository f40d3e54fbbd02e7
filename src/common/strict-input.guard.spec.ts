import { MAX_BODY_DEPTH, nestedDeeperThan, reservedKeyIn } from './strict-input.guard.js';

const nestedArrays = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
const nestedObjects = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;

describe('nestedDeeperThan', () => {
  it('counts the top level as depth 1; scalars and null have no depth', () => {
    for (const scalar of [undefined, null, 1, 'x', true]) expect(nestedDeeperThan(scalar, 0)).toBe(false);
    expect(nestedDeeperThan({}, 1)).toBe(false);
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan(nestedObjects(3), 3)).toBe(false);
    expect(nestedDeeperThan(nestedObjects(4), 3)).toBe(true);
    expect(nestedDeeperThan({ a: 1, b: [1, 2, { c: [] }] }, 4)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: [1, 2, { c: [[]] }] }, 4)).toBe(true);
  });

  it("accepts the API's own bodies", () => {
    const body = { weights: [{ destination: 'stable', weight: 80 }, { destination: 'canary', weight: 20 }], route: 'primary', kubeconfig: 'eA==' };
    expect(nestedDeeperThan(body, MAX_BODY_DEPTH)).toBe(false);
  });

  it('handles a million levels without overflowing the stack (the check itself is iterative)', () => {
    expect(nestedDeeperThan(nestedArrays(1_000_000), MAX_BODY_DEPTH)).toBe(true);
    expect(nestedDeeperThan(nestedObjects(100_000), MAX_BODY_DEPTH)).toBe(true);
  });
});

describe('reservedKeyIn', () => {
  it('finds names the transformer would drop silently, at any depth', () => {
    expect(reservedKeyIn(JSON.parse('{"weights":[],"__proto__":{"admin":true}}'))).toBe('__proto__');
    expect(reservedKeyIn({ weights: [{ destination: 'a', weight: 1, toString: 'x' }] })).toBe('toString');
    for (const key of ['constructor', 'prototype', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf']) expect(reservedKeyIn({ [key]: 1 })).toBe(key);
  });

  it('passes ordinary bodies and scalars', () => {
    expect(reservedKeyIn({ weights: [{ destination: 'constructor', weight: 100 }], route: 'toString' })).toBeUndefined();
    expect(reservedKeyIn(undefined)).toBeUndefined();
    expect(reservedKeyIn('toString')).toBeUndefined();
  });
});
