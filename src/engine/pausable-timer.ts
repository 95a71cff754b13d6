/** A timeout that can be paused (the time paused does not count) and resumed. */
export class PausableTimer {
  private timer: NodeJS.Timeout | undefined
  private remainingMs: number
  private startedAt = 0
  private done = false

  constructor(
    private readonly onFire: () => void,
    ms: number,
  ) {
    this.remainingMs = ms
    this.resume()
  }

  pause(): void {
    if (this.timer === undefined) return
    clearTimeout(this.timer)
    this.timer = undefined
    this.remainingMs = Math.max(0, this.remainingMs - (Date.now() - this.startedAt))
  }

  resume(): void {
    if (this.done || this.timer !== undefined) return
    this.startedAt = Date.now()
    this.timer = setTimeout(() => {
      this.done = true
      this.timer = undefined
      this.onFire()
    }, this.remainingMs)
  }

  clear(): void {
    this.done = true
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
