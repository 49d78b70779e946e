/**
 * The live heap: V8's size after each full (mark-compact) collection, read from `--trace-gc`
 * (start the server with that flag and pass `observe` as its line handler). Unlike RSS it does not
 * include garbage waiting to be collected, so it is what the server keeps.
 */
export class LiveHeap {
  max = 0;
  observe = (line: string) => {
    const match = /Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
    if (match) this.max = Math.max(this.max, Number(match[1]));
  };
  /** The largest live heap (MiB) since the last take; 0 when no full collection ran meanwhile. */
  take(): number {
    const value = Math.round(this.max * 10) / 10;
    this.max = 0;
    return value;
  }
}
