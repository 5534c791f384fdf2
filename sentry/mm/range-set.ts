// A set of page ranges: the mlock(2)ed parts of an address space.

export class RangeSet {
  /** Sorted, non-overlapping, non-adjacent [start, end) pairs. */
  private ranges: Array<[number, number]> = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const out: Array<[number, number]> = [];
    let s = start, e = end;
    for (const [a, b] of this.ranges) {
      if (b < s || a > e) out.push([a, b]);
      else { s = Math.min(s, a); e = Math.max(e, b); }
    }
    out.push([s, e]);
    out.sort((x, y) => x[0] - y[0]);
    this.ranges = out;
  }

  remove(start: number, end: number): void {
    if (end <= start) return;
    const out: Array<[number, number]> = [];
    for (const [a, b] of this.ranges) {
      if (b <= start || a >= end) { out.push([a, b]); continue; }
      if (a < start) out.push([a, start]);
      if (b > end) out.push([end, b]);
    }
    this.ranges = out;
  }

  /** Bytes of [start, end) in the set. */
  overlap(start: number, end: number): number {
    let n = 0;
    for (const [a, b] of this.ranges) n += Math.max(0, Math.min(b, end) - Math.max(a, start));
    return n;
  }

  get total(): number {
    let n = 0;
    for (const [a, b] of this.ranges) n += b - a;
    return n;
  }

  clear(): void { this.ranges = []; }
}
