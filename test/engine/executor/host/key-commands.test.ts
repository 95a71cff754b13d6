import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {hostKeyResolver, runHostKey} from '../../../../src/engine/executor/host/key-commands.js'
import {job} from '../../../helpers/pipeline.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-host-key-'))
  dirs.push(dir)
  return dir
}

const hostJob = (hostKey: string[], env: Record<string, string> = {}) => job('build', {image: '', runsOn: 'host', hostKey, env})

describe('host key commands', () => {
  it('run in the project directory with the job env over the host basics, and give each stdout without its trailing whitespace', async () => {
    const cwd = project()
    writeFileSync(join(cwd, 'tool-version'), 'v1\n\n')
    const outputs = await runHostKey(hostJob(['cat tool-version', 'echo "$TOOL-$FROM_E"', 'echo "[$NOT_PASSED]"; echo warn >&2'], {TOOL: 'gcc'}), {
      cwd,
      env: {PATH: process.env.PATH, NOT_PASSED: 'secret'},
      envOverrides: {FROM_E: 'e'},
    })
    expect(outputs).toEqual([
      {command: 'cat tool-version', output: 'v1'},
      {command: 'echo "$TOOL-$FROM_E"', output: 'gcc-e'},
      {command: 'echo "[$NOT_PASSED]"; echo warn >&2', output: '[]'},
    ])
  })

  it('fail naming the command and what it said when one exits non-zero', async () => {
    const run = runHostKey(hostJob(['echo fine', 'echo "no such tool" >&2; exit 3']), {cwd: project(), env: {PATH: process.env.PATH}, envOverrides: {}})
    await expect(run).rejects.toThrow('host key command "echo \\"no such tool\\" >&2; exit 3" of job "build" exited with 3: no such tool')
  })

  it('fail when one does not finish in time, leaving nothing running', async () => {
    const run = runHostKey(hostJob(['sleep 30']), {cwd: project(), env: {PATH: process.env.PATH}, envOverrides: {}, timeoutMs: 200})
    await expect(run).rejects.toThrow('host key command "sleep 30" of job "build" did not finish within 0.2s')
  })

  it('run once per job and run, however often the key is asked for', async () => {
    const cwd = project()
    const resolve = hostKeyResolver({cwd, env: {PATH: process.env.PATH}, envOverrides: {}})
    const counting = hostJob(['echo x >> count; wc -l < count'])
    expect(await resolve(counting)).toEqual([{command: 'echo x >> count; wc -l < count', output: '1'}])
    expect(await resolve(counting)).toEqual([{command: 'echo x >> count; wc -l < count', output: '1'}])
  })
})
