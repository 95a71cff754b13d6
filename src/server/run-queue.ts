/**
 * Slots for runs executing at once. Runs beyond the limit wait in order of arrival; a waiter whose
 * signal aborts (the run was cancelled while queued) leaves the line without taking a slot.
 */
export class RunQueue {
  private running = 0
  private readonly waiting: Array<{grant: () => void}> = []

  constructor(readonly limit: number) {}

  get queued(): number {
    return this.waiting.length
  }

  /** Whether `acquire` would grant a slot right away. */
  get hasFreeSlot(): boolean {
    return this.running < this.limit && this.waiting.length === 0
  }

  get active(): number {
    return this.running
  }

  /** Resolves `true` once a slot is held (call `release()` after), `false` when `signal` aborted first. */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false)
    if (this.running < this.limit && this.waiting.length === 0) {
      this.running++
      return Promise.resolve(true)
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort)
          this.running++
          resolve(true)
        },
      }
      const onAbort = (): void => {
        const at = this.waiting.indexOf(waiter)
        if (at !== -1) this.waiting.splice(at, 1)
        resolve(false)
      }
      signal.addEventListener('abort', onAbort, {once: true})
      this.waiting.push(waiter)
    })
  }

  release(): void {
    this.running--
    const next = this.waiting.shift()
    next?.grant()
  }
}
