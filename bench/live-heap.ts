/**
 * The live heap: V8's size after each full (mark-compact) collection, read from `--trace-gc`
 * (start the server with that flag and pass `observe` as its line handler). Unlike RSS it does not
 * include garbage waiting to be collected, so it is what the server keeps, plus what was allocated
 * while the collector marked (V8 counts that as live until the next collection): under load, single
 * values vary with that, and a leak shows as values that keep rising.
 */
export class LiveHeap {
  #values: number[] = [];
  observe = (line: string) => {
    const match = /Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
    if (match) this.#values.push(Math.round(Number(match[1]) * 10) / 10);
  };
  /** Every live heap (MiB) since the last take, in order. */
  takeAll(): number[] {
    const values = this.#values;
    this.#values = [];
    return values;
  }
  /** The largest live heap (MiB) since the last take; 0 when no full collection ran meanwhile. */
  take(): number {
    return Math.max(0, ...this.takeAll());
  }
}

/**
 * During an audience export the server runs with its V8 old space capped far below what a million
 * ids would take if a page (or anything else) held on to them. Uncapped, V8 grows its heap lazily
 * under a long stream of short-lived garbage, so peak RSS says more about the collector than about
 * what is retained; capped, an export that kept its audience in memory would die, and one that
 * does not finishes.
 */
export const AUDIENCE_HEAP_CAP_MIB = 96;
