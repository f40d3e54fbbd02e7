import { entityTagOf, ifNoneMatchMatches, reusableAnswer, serializeReply } from './reply-serializer.js';
import { SnapshotMemo } from './snapshot-memo.js';

describe('serializeReply', () => {
  it('serializes ordinary answers like JSON.stringify, every time (later changes show)', () => {
    const answer = { name: 'a', items: [1, 2], nested: { when: new Date(0) } };
    expect(serializeReply(answer)).toBe(JSON.stringify(answer));
    answer.items.push(3);
    expect(serializeReply(answer)).toBe(JSON.stringify(answer));
    expect(serializeReply('text')).toBe('"text"');
    expect(serializeReply(null)).toBe('null');
  });

  it('writes a reusable answer once: the same bytes, equal to JSON.stringify, for every request', () => {
    const answer = reusableAnswer([{ name: 'reviews', routes: [{ weight: 90 }, { weight: 10 }] }]);
    const first = serializeReply(answer);
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(first.toString()).toBe(JSON.stringify(answer));
    expect(serializeReply(answer)).toBe(first);
  });

  it('a reusable answer is frozen all the way down, even where parts were already shallowly frozen', () => {
    const inner = { weight: 90 };
    const view = Object.freeze({ name: 'reviews', routes: [inner] });
    const answer = reusableAnswer([view]);
    expect(() => (answer as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      inner.weight = 0;
    }).toThrow(TypeError);
    expect(() => view.routes.push({ weight: 1 })).toThrow(TypeError);
  });
});

describe('entity tags of reusable answers', () => {
  it('the bytes of a reusable answer have a quoted tag that depends only on their content', () => {
    const first = serializeReply(reusableAnswer([{ name: 'reviews', weight: 90 }]));
    const same = serializeReply(reusableAnswer([{ name: 'reviews', weight: 90 }]));
    const other = serializeReply(reusableAnswer([{ name: 'reviews', weight: 80 }]));
    expect(entityTagOf(first)).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    // Another replica (or snapshot) with the same content gives the same tag.
    expect(entityTagOf(same)).toBe(entityTagOf(first));
    expect(entityTagOf(other)).not.toBe(entityTagOf(first));
  });

  it('nothing else has a tag', () => {
    expect(entityTagOf(serializeReply([{ name: 'reviews' }]))).toBeUndefined();
    expect(entityTagOf(Buffer.from('[]'))).toBeUndefined();
    expect(entityTagOf(undefined)).toBeUndefined();
  });

  it.each<[string | undefined, boolean]>([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abd"', false],
    ['abc', false],
    ['', false],
    [undefined, false],
  ])('If-None-Match %p matches "abc": %p', (header, matches) => {
    expect(ifNoneMatchMatches(header, '"abc"')).toBe(matches);
  });
});

describe('SnapshotMemo', () => {
  it('derives once per frozen snapshot and marks the answer reusable', () => {
    let derivations = 0;
    const memo = new SnapshotMemo((objects: readonly { name: string }[]) => {
      derivations++;
      return objects.map((object) => ({ name: object.name.toUpperCase() }));
    });
    const snapshot = Object.freeze([{ name: 'a' }, { name: 'b' }]);
    const first = memo.answer(snapshot);
    expect(memo.answer(snapshot)).toBe(first);
    expect(derivations).toBe(1);
    expect(first).toEqual([{ name: 'A' }, { name: 'B' }]);
    expect(Object.isFrozen(first[0])).toBe(true);
    expect(serializeReply(first)).toBe(serializeReply(first));
    expect(Buffer.isBuffer(serializeReply(first))).toBe(true);

    // The cache replaced the snapshot: a new answer.
    const next = memo.answer(Object.freeze([{ name: 'c' }]));
    expect(next).toEqual([{ name: 'C' }]);
    expect(derivations).toBe(2);
  });

  it('derives per call for input that is not a snapshot (a direct read), and does not mark it', () => {
    let derivations = 0;
    const memo = new SnapshotMemo((objects: readonly { name: string }[]) => {
      derivations++;
      return objects.map((object) => ({ name: object.name }));
    });
    const direct = [{ name: 'a' }];
    const first = memo.answer(direct);
    const second = memo.answer(direct);
    expect(second).not.toBe(first);
    expect(derivations).toBe(2);
    expect(typeof serializeReply(first)).toBe('string');
    expect(Object.isFrozen(first)).toBe(false);
  });
});
