import {execFileSync} from 'node:child_process'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {containers, containersLeft, NEUTRAL_ENV, orca, projectsPerTest, readJson, runDirs} from './cli.js'
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
    expect(await containersLeft(`orca.run=${runDirs(dir).at(-1)!.split('/').at(-1)}`)).toEqual([])
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

const KEPT = `version: 1
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
    cleanup: remove_on_completion
    keep_for: 1h
    steps:
      - name: probe
        run: mkdir -p sub && echo partial > sub/state.txt && exit 3
`

function runIdOf(dir: string): string {
  return runDirs(dir).at(-1)!.split('/').at(-1)!
}

describe('orca shell', () => {
  it('opens the kept container of a finished job in a terminal, as the job left it, and leaves it kept and stopped', async () => {
    const dir = project({'jobs.yml': KEPT})
    expect((await orca(['run', 'test', '--output', 'plain'], {cwd: dir, env: {...NEUTRAL_ENV, API_TOKEN: 'tok'}})).code).toBe(1)
    const runId = runIdOf(dir)
    const term = terminal(dir, orcaLine('shell test'), {API_TOKEN: 'tok'})
    await term.waitFor(/\/workspace # $/m)
    term.type('echo "[$GREETING] $(cat out.txt) $(cat sub/state.txt) $API_TOKEN"')
    term.key('Enter')
    await term.waitFor(/\[hello\] built partial tok/)
    term.type('exit 4')
    term.key('Enter')
    expect(await term.waitFor(/\[exit \d+\]/)).toContain('[exit 4]')
    const kept = containers(`orca.run=${runId}`)
    expect(kept).toHaveLength(1)
    const state = execFileSync('docker', ['inspect', '-f', '{{.State.Running}} {{index .Config.Labels "orca.kept"}}', kept[0]!], {encoding: 'utf8'}).trim()
    expect(state).toBe('false true')
  })

  it('runs one command after -- without a terminal, its output and exit code passed through; an unknown job is a clear error', async () => {
    const dir = project({'jobs.yml': KEPT})
    await orca(['run', 'test', '--output', 'plain'], {cwd: dir, env: {...NEUTRAL_ENV, API_TOKEN: 'tok'}})
    const runId = runIdOf(dir)
    const result = await orca(['shell', runId.slice(0, 20), 'test', '--', 'sh', '-c', 'cat sub/state.txt; echo oops >&2; exit 7'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(7)
    expect(result.stdout).toBe('partial\n')
    expect(result.stderr).toContain('oops')
    const unknown = await orca(['shell', 'nosuch', '--', 'true'], {cwd: dir, env: NEUTRAL_ENV})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain(`run ${runId} has no job "nosuch"`)
    const noTerminal = await orca(['shell', 'test'], {cwd: dir, env: NEUTRAL_ENV})
    expect(noTerminal.code).toBe(2)
    expect(noTerminal.stderr).toContain('needs a terminal')
  })
})

describe('orca shell on a job whose container is gone', () => {
  it("lays out what the job saw in a fresh container from its image: its inputs and its needs' artifacts; removed afterwards", async () => {
    const dir = project({'jobs.yml': KEPT.replace('cleanup: remove_on_completion', 'cleanup: always_remove').replace('needs: [build]', 'needs: [build]\n    inputs: ["src/**"]'), 'src/in.txt': 'input\n', 'other.txt': 'not an input\n'})
    await orca(['run', 'test', '--output', 'plain'], {cwd: dir, env: {...NEUTRAL_ENV, API_TOKEN: 'tok'}})
    const runId = runIdOf(dir)
    expect(await containersLeft(`orca.run=${runId}`)).toEqual([])
    const result = await orca(['shell', 'test', '--', 'sh', '-c', 'cat out.txt src/in.txt; ls; echo "$GREETING"'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('built\ninput\nout.txt\nsrc\nhello\n')
    expect(result.stderr).toContain(`no container of job "test" in run ${runId} is kept (cleanup: removed); a fresh one from its image`)
    expect(await containersLeft(`orca.run=${runId}`)).toEqual([])
  })
})

describe('keep_for', () => {
  it('records when a kept container expires, orca show and orca runs say so, and the next run of the project removes it once expired', async () => {
    const dir = project({'jobs.yml': KEPT.replace('keep_for: 1h', 'keep_for: 2s')})
    // Kept for an hour (--keep-for over keep_for): it must outlive the sweeps below.
    await orca(['run', 'test', '--output', 'plain', '--keep-for', '1h'], {cwd: dir, env: {...NEUTRAL_ENV, API_TOKEN: 'tok'}})
    const lasting = runIdOf(dir)
    await orca(['run', 'test', '--output', 'plain'], {cwd: dir, env: {...NEUTRAL_ENV, API_TOKEN: 'tok'}})
    const expiring = runIdOf(dir)
    const record = lastRecord(dir) as unknown as {jobs: Record<string, {keptUntil: string | null; cleanup: string}>}
    expect(record.jobs.test!.cleanup).toBe('kept')
    expect(Date.parse(record.jobs.test!.keptUntil!)).toBeGreaterThan(Date.now() - 60_000)
    expect(record.jobs.build!.keptUntil).toBeNull()
    expect(containers(`orca.run=${expiring}`)).toHaveLength(1)
    expect((await orca(['show', 'latest'], {cwd: dir, env: NEUTRAL_ENV})).stdout).toMatch(/kept containers\n {2}test: [0-9a-f]{12} kept until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/)
    expect((await orca(['runs'], {cwd: dir, env: NEUTRAL_ENV})).stdout).toMatch(new RegExp(`kept containers.*\\n {2}${expiring} {2}test {2}kept until`))
    // Until its expiry has passed, whatever the load made the commands above take.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(record.jobs.test!.keptUntil!) - Date.now()) + 500))
    const dry = await orca(['clean', '--dry-run'], {cwd: dir, env: NEUTRAL_ENV})
    expect(dry.stdout).toMatch(new RegExp(`would remove container orca-${expiring}-test-kept \\(run ${expiring}, job test; kept until `))
    expect(dry.stdout).not.toContain(`orca-${lasting}-test-kept`)
    // The next run that uses Docker removes this project's expired kept containers as it ends.
    await orca(['run', 'build', '--no-cache', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(await containersLeft(`orca.run=${expiring}`)).toEqual([])
    expect(containers(`orca.run=${lasting}`)).toHaveLength(1)
  })
})
