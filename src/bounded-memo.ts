/**
 * Answers of a pure function remembered by their input, at most `max` of them: when full
 * the memo is emptied and fills again. A batch asks the same few questions thousands of
 * times (the same author and patients on every row; issue 26 § 2), while a hostile input
 * stream must not grow memory without bound. Emptying, not evicting one by one, keeps a
 * hit a single Map lookup; the few answers a batch needs are back after one miss each.
 */
export class BoundedMemo<K, V> {
  readonly #answers = new Map<K, V>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.#answers.size;
  }

  get(key: K): V | undefined {
    return this.#answers.get(key);
  }

  /** Remembers `value` and returns it. */
  set(key: K, value: V): V {
    if (this.#answers.size >= this.max) this.#answers.clear();
    this.#answers.set(key, value);
    return value;
  }
}
