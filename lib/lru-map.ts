/**
 * A map bounded to `capacity` entries: when full, setting a new key drops the entry used least
 * recently (read or written). Caches fed by what clients send (voters, meeting ids, accounts) stay
 * within their bound without being cleared whole, so a flood of new keys evicts only the coldest.
 */
import { AppError } from "./errors.js";

export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new AppError("invalid_capacity", `an LRU map holds at least one entry, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The value of `key`, which becomes the most recently used. */
  get(key: K): V | undefined {
    if (!this.map.has(key)) return undefined;
    const value = this.map.get(key)!;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
