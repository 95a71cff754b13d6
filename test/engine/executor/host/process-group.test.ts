import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {exitCodeOf, startGroup} from '../../../../src/engine/executor/host/process-group.js'
import {pidExists} from '../../../../src/engine/process-identity.js'

/** The process group of a pid, from /proc (Linux). */
function groupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
  } catch {
    return undefined
  }
}

describe('a process group', () => {
  it('is led by the command it starts, and one signal reaches the children it started', async () => {
    const group = startGroup(['sh', '-c', 'sleep 30 & echo $!; wait'], {cwd: '/', env: {PATH: process.env.PATH ?? ''}})
    const child = await new Promise<number>((resolve) => group.child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))))
    expect(groupOf(child)).toBe(group.child.pid)
    expect(group.signal('SIGKILL')).toBe(true)
    const exit = await group.exited
    expect(exitCodeOf(exit)).toBe(137)
    // The child got the signal too (a killed process may stay a zombie until it is reaped: it runs nothing).
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(pidExists(child)).toBe(false)
  })

  it('reports a command that cannot start as exit 127', async () => {
    const group = startGroup(['/no/such/program'], {cwd: '/', env: {}})
    expect(exitCodeOf(await group.exited)).toBe(127)
  })
})
