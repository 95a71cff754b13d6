// Measuring helpers the benches share.
import {performance} from 'node:perf_hooks'

/** Wall time of one call, in ms. */
export async function time(fn) {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** The median of the samples (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
