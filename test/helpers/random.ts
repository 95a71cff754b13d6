/** A seeded random source (mulberry32): the same seed gives the same sequence, so a failure can be replayed. */
export interface RandomGenerator {
  /** An integer in [0, n). */
  int(n: number): number
  pick<T>(items: readonly T[]): T
  /** `count` distinct items (fewer when there are fewer). */
  sample<T>(items: readonly T[], count: number): T[]
  /** true with probability p. */
  chance(p: number): boolean
}

export function randomGenerator(seed: number): RandomGenerator {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    int,
    pick: (items) => items[int(items.length)]!,
    sample: (items, count) => {
      const pool = [...items]
      const out: typeof pool = []
      while (out.length < count && pool.length > 0) out.push(pool.splice(int(pool.length), 1)[0]!)
      return out
    },
    chance: (p) => next() < p,
  }
}
