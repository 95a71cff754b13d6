import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {containers, NEUTRAL_ENV, orca, projectsPerTest, readJson, runDirs} from './cli.js'
import {orcaLine, terminalsPerTest} from '../helpers/tmux.js'

const project = projectsPerTest()
const terminal = terminalsPerTest()

const FAILING = `version: 1
image: orca-test/busybox
jobs:
  build:
    steps:
      - echo built > out.txt
    artifacts: [out.txt]
  test:
    needs: [build]
    env: {GREETING: hello}
    secrets: [API_TOKEN]
    steps:
      - name: probe
        run: mkdir -p sub && cd sub && echo partial > state.txt && exit 3
      - echo never
`

function lastRecord(dir: string): {status: string; jobs: Record<string, {status: string; cleanup: string; steps: Array<{status: string; exitCode: number | null}>}>} {
  return readJson(join(runDirs(dir).at(-1)!, 'run.json'))
}

describe('orca run --interactive', () => {
  it('opens a shell in the failed container under the live view: the command typed runs there, exit goes on, the run ends failed with nothing left', async () => {
    const dir = project({'jobs.yml': FAILING})
    const term = terminal(dir, orcaLine('run -i test'), {API_TOKEN: 's3cret-token-value'})
    const shown = await term.waitFor(/# $|\$ $/m)
    expect(shown).toContain('step "probe" of job "test" failed with exit code 3:\n  $ mkdir -p sub && cd sub && echo partial > state.txt && exit 3')
    expect(shown).toContain('a shell where it ran (/workspace)')
    // The step's files, the job's environment and its secret are there, in the job's workdir.
    term.type('echo "[$GREETING] $(cat out.txt) $(cat sub/state.txt) $(pwd) ${#API_TOKEN}"')
    term.key('Enter')
    await term.waitFor(/\[hello\] built partial \/workspace 18/)
    term.type('exit')
    term.key('Enter')
    const end = await term.waitFor(/\[exit \d+\]/)
    // The live view comes back and ends with its summary.
    expect(end).toMatch(/shell closed; the run goes on[\s\S]*Summary[\s\S]*✗ test/)
    expect(end).toContain('[exit 1]')
    const record = lastRecord(dir)
    expect(record.status).toBe('failed')
    expect(record.jobs.test!.status).toBe('failed')
    expect(record.jobs.test!.steps.map((s) => s.status)).toEqual(['failed', 'skipped'])
    expect(record.jobs.test!.cleanup).toBe('removed')
    expect(containers(`orca.run=${runDirs(dir).at(-1)!.split('/').at(-1)}`)).toEqual([])
    // Nothing of the shell is recorded.
    const log = (await import('node:fs')).readFileSync(join(runDirs(dir).at(-1)!, 'logs/test.log'), 'utf8')
    expect(log).not.toContain('[hello]')
  })

  it('a host job: the shell opens in its folder on the host, with its environment', async () => {
    const dir = project({
      'greeting.txt': 'hi\n',
      'jobs.yml': `version: 1
jobs:
  local:
    runs-on: host
    env: {MODE: debug}
    steps:
      - name: check
        run: cp greeting.txt copy.txt && false
`,
    })
    const term = terminal(dir, orcaLine('run -i --output plain'), {SHELL: '/bin/sh'})
    await term.waitFor(/step "check" of job "local" failed with exit code 1/)
    await term.waitFor(/host\/local\/workspace\), with the job's environment[^\n]*\n[\s\S]*[#$] $/)
    term.type('echo "mode=$MODE $(cat copy.txt) $(basename $(pwd))"')
    term.key('Enter')
    await term.waitFor(/mode=debug hi workspace/)
    term.type('exit')
    term.key('Enter')
    const end = await term.waitFor(/\[exit \d+\]/)
    expect(end).toContain('[exit 1]')
    expect(lastRecord(dir).jobs.local!.status).toBe('failed')
  })

  it('refuses without a terminal: exit 2, a clear message, no run recorded', async () => {
    const dir = project({'jobs.yml': FAILING})
    const result = await orca(['run', '-i', 'test'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--interactive opens a shell when a step fails, and needs a terminal')
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(runDirs(dir)).toEqual([])
  })
})
