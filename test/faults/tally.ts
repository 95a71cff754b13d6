import {appendFileSync, readFileSync} from 'node:fs'

/** The counts the suite prints at its end (iterations, inputs tried, leaks found...). */
export type Counter =
  | 'sigkill iterations'
  | 'run records validated'
  | 'event logs read'
  | 'containers left by a kill'
  | 'leaks found after clean --leaks'
  | 'hostile archives and paths'
  | 'cache entries tampered'
  | 'hostile jobs.yml files'
  | 'masking splits checked'
  | 'engine faults survived'
  | 'runaway jobs contained'
  | 'serve runs failed by a stray error'
  | 'hostile HTTP requests refused'
  | 'hostile image references'
  | 'prototype-named keys'
  | 'YAML expansions refused'
  | 'kills while services start or run'
  | 'service containers and networks left by a kill'
  | 'kills while containers start ahead of need'
  | 'early containers seen at a kill'
  | 'sandboxes reconciled after a kill'

/** Adds `n` to a counter (files run in separate workers: the tally is a shared append-only file). */
export function tally(counter: Counter, n = 1): void {
  const file = process.env.ORCA_FAULTS_TALLY
  if (file) appendFileSync(file, `${JSON.stringify({counter, n})}\n`)
}

/** Sums a tally file. */
export function readTally(file: string): Map<string, number> {
  const totals = new Map<string, number>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue
    const {counter, n} = JSON.parse(line) as {counter: string; n: number}
    totals.set(counter, (totals.get(counter) ?? 0) + n)
  }
  return totals
}
