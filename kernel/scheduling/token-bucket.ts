/**
 * A token bucket: `capacity` units refilled evenly over `perMs`. Time is passed in, so the policy
 * is pure and testable.
 */
export class TokenBucket {
  private level: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly perMs: number,
    now: number,
  ) {
    this.level = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.level = Math.min(this.capacity, this.level + (elapsed * this.capacity) / this.perMs);
    this.last = now;
  }

  /** Takes `amount` if available and returns 0; otherwise takes nothing and returns ms to wait. */
  take(amount: number, now: number): number {
    this.refill(now);
    const want = Math.min(amount, this.capacity);
    if (this.level >= want) {
      this.level -= want;
      return 0;
    }
    return Math.ceil(((want - this.level) * this.perMs) / this.capacity);
  }
}
