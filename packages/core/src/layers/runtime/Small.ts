/**
 * Numbers kept in long-lived objects: V8 keeps a field whose values are all small integers unboxed,
 * where a double (even an integral one that came from arithmetic on doubles) takes a 16-byte box.
 */

/** The same number, tagged as a small integer when it is one. */
export const small = (x: number): number =>
  x >= 0 && x < 2 ** 30 && Number.isInteger(x) && !Object.is(x, -0) ? x | 0 : x

/**
 * Times kept as ms after an epoch (the first time kept, a whole ms): small integers for the first
 * 12 days. Exact: for an integer epoch and times in [epoch / 2, 2^53), `t - epoch` and back are exact.
 */
export class Offsets {
  private epoch = Number.NaN
  /** `t` as kept */
  keep(t: number): number {
    if (Number.isNaN(this.epoch)) this.epoch = Math.floor(t)
    return small(t - this.epoch)
  }
  /** the time `kept` stands for */
  time(kept: number): number {
    return this.epoch + kept
  }
}
