import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {schemaValidator} from '../helpers/schemas.js'
import {parseXml} from '../views/run/xml.js'
import {makeProject, orca, ORCA_BIN, removeRunContainers, runDirs} from './cli.js'

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  ok:
    inputs: []
    network: none
    steps:
      - name: greet
        run: echo hello from ok
  broken:
    inputs: []
    network: none
    steps:
      - name: explode
        run: |
          for i in 1 2 3; do echo "line $i"; done
          echo 'boom: the <thing> & "stuff"' >&2
          exit 4
  after:
    needs: [broken]
    steps: ["echo never"]
`

const SLOW = `version: 1
image: busybox:1.36
jobs:
  sleepy:
    inputs: []
    network: none
    steps:
      - name: nap
        run: echo napping; sleep 30
`

/** Neither CI flavour nor colour unless a test asks: the suite itself may run in a CI. */
const NEUTRAL = {CI: undefined, GITHUB_ACTIONS: undefined, GITLAB_CI: undefined, GITHUB_STEP_SUMMARY: undefined}

const projects: Array<{dir: string; cleanup: () => void}> = []
const sessions: string[] = []
function project(files: Record<string, string>): string {
  const p = makeProject(files)
  projects.push(p)
  return p.dir
}

afterEach(() => {
  for (const session of sessions.splice(0)) {
    try {
      execFileSync('tmux', ['kill-session', '-t', session], {stdio: 'ignore'})
    } catch {
      // Already gone.
    }
  }
  for (const p of projects.splice(0)) {
    for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
    p.cleanup()
  }
})

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007]*\u0007|\u001B[=>78]/g, '')

/** Runs orca in a real terminal (a tmux pane, 100×40) and returns what the screen shows. */
async function inTerminal(dir: string, args: string, options: {until: RegExp; then?: (session: string) => void; thenWhen?: RegExp}): Promise<string> {
  const session = `orca-e2e-${process.pid}-${sessions.length}`
  sessions.push(session)
  const command = `cd '${dir}' && env -u CI -u GITHUB_ACTIONS -u GITLAB_CI NO_COLOR=1 '${process.execPath}' '${ORCA_BIN}' ${args}; echo EXIT=$?; sleep 120`
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '40', command])
  const screen = (): string => execFileSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'})
  let acted = options.then === undefined
  for (let i = 0; i < 600; i++) {
    const text = screen()
    if (!acted && options.thenWhen?.test(text)) {
      options.then!(session)
      acted = true
    }
    if (options.until.test(text)) return text
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the terminal never showed ${options.until}:\n${screen()}`)
}

describe('orca run output (real engine)', () => {
  it('live view in a terminal: the final screen is the summary, with the failure’s last lines', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const screen = await inTerminal(dir, 'run', {until: /EXIT=\d+/})
    const lines = screen.split('\n').map((l) => l.trimEnd())
    expect(lines).toContain('EXIT=1')
    expect(lines).toContain('✗ broken: failed (step "explode" exited 4), last 4 lines:')
    expect(lines).toContain('  │ boom: the <thing> & "stuff"')
    expect(lines).toContain('Summary')
    expect(lines.some((l) => /^ {2}✓ ok +succeeded +\S+( cache miss)?$/.test(l))).toBe(true)
    expect(lines.some((l) => /^ {2}✗ broken failed +\S+( cache miss)? step "explode" exited 4$/.test(l))).toBe(true)
    expect(lines).toContain('  ○ after  skipped          needs broken (failed)')
    expect(lines.some((l) => l.startsWith('3 jobs: 1 succeeded, 1 failed, 1 skipped; ✗ run failed in '))).toBe(true)
    // The live frame is gone: no spinner, no hint, no progress bar left behind.
    expect(screen).not.toContain('Ctrl-C to cancel')
    expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/)
  })

  it('live view keeps stdout free: it draws on stderr', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const out = join(dir, 'stdout.txt')
    const script = spawnSync('script', ['-qfec', `stty cols 100 rows 40; '${process.execPath}' '${ORCA_BIN}' run --output tty > '${out}'`, '/dev/null'], {
      cwd: dir,
      env: {...process.env, ...NEUTRAL, NO_COLOR: '1'},
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    expect(script.status).toBe(1)
    expect(readFileSync(out, 'utf8')).toBe('')
    const transcript = stripAnsi(script.stdout)
    expect(transcript).toContain('Summary')
    expect(transcript).toContain('Ctrl-C to cancel')
  })

  it('Ctrl-C inside the live view cancels the run (exit 130)', async () => {
    const dir = project({'jobs.yml': SLOW})
    const screen = await inTerminal(dir, 'run', {
      thenWhen: /napping/,
      then: (session) => execFileSync('tmux', ['send-keys', '-t', session, 'C-c']),
      until: /EXIT=\d+/,
    })
    expect(screen).toContain('EXIT=130')
    expect(screen).toMatch(/✗ sleepy +cancelled/)
  })

  it('a pipe gets plain lines: prefixed, uncoloured, no erase sequences', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const result = await orca(['run'], {cwd: dir, env: {...NEUTRAL, NO_COLOR: undefined}})
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('[ok]     hello from ok')
    expect(result.stdout).toContain('[broken] ✗ failed (step "explode" exited 4)')
    expect(result.stdout + result.stderr).not.toContain('\u001B')
  })

  it('GitHub Actions: groups, error annotations, failures repeated at the end, step summary, JUnit report', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const summary = join(dir, 'summary.md')
    writeFileSync(summary, '')
    const result = await orca(['run', '--junit', 'reports/junit.xml'], {cwd: dir, env: {...NEUTRAL, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary}})
    expect(result.code).toBe(1)
    const lines = result.stdout.split('\n')
    expect(lines).toContain('::group::[ok] ' + lines.find((l) => l.startsWith('::group::[ok] '))!.slice(14))
    expect(lines.filter((l) => l === '::endgroup::')).toHaveLength(2)
    expect(lines).toContain('::error title=orca%3A broken::failed (step "explode" exited 4) in ' + lines.find((l) => l.startsWith('::error'))!.split(' in ')[1])
    const repeated = lines.findIndex((l) => l.startsWith('✗ [broken] failed'))
    expect(repeated).toBeGreaterThan(lines.lastIndexOf('::endgroup::'))
    expect(lines.slice(repeated)).toContain('boom: the <thing> & "stuff"')
    const md = readFileSync(summary, 'utf8')
    expect(md).toMatch(/^### orca run `[^`]+`: ❌ failed/)
    expect(md).toMatch(/\| broken \| ❌ failed \(step "explode" exited 4\) \| \S+ \| (miss|disabled) \|/)

    const junit = parseXml(readFileSync(join(dir, 'reports/junit.xml'), 'utf8'))
    expect(junit.attrs).toMatchObject({tests: '3', failures: '1', skipped: '1'})
    const broken = junit.children.find((s) => s.attrs.name === 'broken')!
    const failure = broken.children.find((c) => c.name === 'testcase')!.children[0]!
    expect(failure).toMatchObject({name: 'failure', attrs: {message: 'step "explode" failed (exit 4)'}})
    // stdout and stderr interleave as they arrive.
    expect(failure.text.split('\n').sort()).toEqual(['boom: the <thing> & "stuff"', 'line 1', 'line 2', 'line 3'])
  })

  it('GitLab CI: collapsible sections', async () => {
    /* eslint-disable no-control-regex */
    const dir = project({'jobs.yml': PIPELINE})
    const result = await orca(['run'], {cwd: dir, env: {...NEUTRAL, GITLAB_CI: 'true'}})
    expect(result.stdout).toMatch(/\u001B\[0Ksection_start:\d+:orca_ok_\d+\[collapsed=true\]\r\u001B\[0K\[ok\] succeeded/)
    expect(result.stdout).toMatch(/\u001B\[0Ksection_start:\d+:orca_broken_\d+\[collapsed=false\]\r\u001B\[0K\[broken\] failed/)
    expect(result.stdout).toMatch(/\u001B\[0Ksection_end:\d+:orca_broken_\d+\r\u001B\[0K/)
    /* eslint-enable no-control-regex */
  })

  it('--output json: NDJSON on stdout, every line valid against the event schema', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const result = await orca(['run', '--output', 'json'], {cwd: dir, env: NEUTRAL})
    expect(result.code).toBe(1)
    const lines = result.stdout.trimEnd().split('\n')
    const validate = await schemaValidator('event.schema.json')
    const events = lines.map((l) => JSON.parse(l) as {type: string; seq: number})
    for (const event of events) expect(validate(event), JSON.stringify(validate.errors)).toBe(true)
    expect(events[0]!.type).toBe('run.started')
    expect(events.at(-1)!.type).toBe('run.finished')
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
  })
})
