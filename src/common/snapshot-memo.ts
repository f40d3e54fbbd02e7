import { reusableAnswer } from './reply-serializer.js';

/**
 * An answer derived from a watch-cache snapshot (a frozen array that the cache replaces, never
 * changes, when its namespace changes) is computed once per snapshot and reused for every caller
 * until then; it is a reusableAnswer, so its JSON is written once too. Input that is not frozen (a
 * direct read from the API server) is derived per call. Keyed weakly: a replaced snapshot's answer
 * goes with it.
 */
export class SnapshotMemo<I, O extends object> {
  private readonly answers = new WeakMap<readonly I[], O>();

  constructor(private readonly derive: (objects: readonly I[]) => O) {}

  answer(objects: readonly I[]): O {
    if (!Object.isFrozen(objects)) return this.derive(objects);
    let answer = this.answers.get(objects);
    if (!answer) {
      answer = reusableAnswer(this.derive(objects));
      this.answers.set(objects, answer);
    }
    return answer;
  }
}
