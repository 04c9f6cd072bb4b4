/**
 * Counts failures per key in fixed windows, in this process's memory (per isolate on Workers).
 * Used to slow brute force against the token endpoint: once a client id or a source address has
 * failed `max` times in a window, further attempts are refused before any secret is hashed.
 * Several gateway processes each keep their own count, so the fleet-wide bound is max × processes.
 */
export class FailureLimiter {
  private windows = new Map<string, { start: number; failures: number }>()

  constructor(
    private readonly max: number,
    private readonly windowSeconds: number,
    private readonly now: () => number,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const window = this.current(key)
    if (!window || window.failures < this.max) return 0
    return Math.max(1, Math.ceil((window.start + this.windowSeconds * 1000 - this.now()) / 1000))
  }

  fail(key: string): void {
    const window = this.current(key)
    if (window) window.failures++
    else {
      if (this.windows.size > 50_000) this.windows.clear()
      this.windows.set(key, { start: this.now(), failures: 1 })
    }
  }

  private current(key: string) {
    const window = this.windows.get(key)
    if (window && this.now() - window.start >= this.windowSeconds * 1000) {
      this.windows.delete(key)
      return undefined
    }
    return window
  }
}
