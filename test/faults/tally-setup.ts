import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {readTally} from './tally.js'

/**
 * Creates the shared tally file before the workers start and prints the totals after the last one.
 * Each project of vitest.faults.config.ts calls it: the first makes the file, the others share it.
 */
export default function setup(): () => void {
  const shared = process.env.ORCA_FAULTS_TALLY
  if (shared !== undefined && existsSync(shared)) return () => {}
  const dir = mkdtempSync(join(tmpdir(), 'orca-faults-tally-'))
  const file = join(dir, 'tally.jsonl')
  writeFileSync(file, '')
  process.env.ORCA_FAULTS_TALLY = file
  process.env.ORCA_FAULTS_SEED ??= String(Date.now() % 2 ** 31)
  return () => {
    const totals = readTally(file)
    const lines = [...totals].map(([counter, n]) => `  ${counter}: ${n}`)
    console.log(`\nfault suite (seed ${process.env.ORCA_FAULTS_SEED}):\n${lines.join('\n')}\n`)
    rmSync(dir, {recursive: true, force: true})
    delete process.env.ORCA_FAULTS_TALLY
  }
}
