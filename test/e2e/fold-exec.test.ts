import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {containersLeft, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

// One exec per job (docs/performance.md, "One exec per job"): the needs' artifacts fed to the first
// step's exec and the artifacts read from the last step's must give what separate execs give
// (ORCA_FOLD_EXEC=0): records, events, logs, the workspace the steps see and the artifacts collected.
// And no exec at all ("Steps in the container's main process", the default): the steps, the needs'
// archive and the collection through the main process's stdin must give the same again.

const project = projectsPerTest()
const SECRET = 's3cr3t-fold-token-42'

/** Every path of the workspace with its type, mode, size and link target; a file's digest. */
const LIST = `find . | sort | while read -r f; do stat -c '%n %F %a %s %N' "$f"; done; md5sum dist/a.txt dist/sub/big.bin dist/sub/two-mib.bin`

const JOBS = `version: 1
image: busybox:1.36
jobs:
  make:
    network: none
    inputs: ["src/**"]
    secrets: [FOLD_TOKEN]
    steps:
      - |
        find src | sort | while read -r f; do stat -c '%n %F %a %s %N' "$f"; done; ./src/tool.sh
        mkdir -p dist/sub dist/empty
        printf 'one' > dist/a.txt; chmod 640 dist/a.txt
        printf '#!/bin/sh\\necho hi\\n' > dist/run.sh; chmod 755 dist/run.sh
        head -c 70000 /dev/zero | tr '\\000' 'z' > dist/sub/big.bin
        i=0; while [ $i -lt 40 ]; do yes "chunk $i of a file of more than two MiB" | head -c 62500; i=$((i + 1)); done > dist/sub/two-mib.bin
        : > dist/sub/empty.txt
        ln -s a.txt dist/link; ln -s sub dist/dirlink; ln dist/a.txt dist/hard.txt
        printf 'x\\001\\002\\377\\000y [orca:fold:00000000000000000000000000000000]:out\\n[orca:step-end:00]\\n'
        head -c 70000 /dev/zero | tr '\\000' 'w'; echo
        printf 'the token: %s' "$FOLD_TOKEN"
    artifacts: ["dist/**"]
  use:
    needs: [make]
    network: none
    inputs: []
    steps:
      - ${JSON.stringify(LIST)}
      - cat dist/link; echo done > done.txt
    artifacts: ["done.txt"]
  as-user:
    needs: [make]
    user: "1000:1000"
    network: none
    inputs: []
    steps: [${JSON.stringify(`id -u; ${LIST}; echo mine > mine.txt`)}]
    artifacts: ["mine.txt"]
  fails-last:
    needs: [make]
    network: none
    inputs: []
    steps: ["echo kept > kept.txt", "echo last words; exit 3"]
    artifacts: {paths: [kept.txt], when: on_failure}
  fails-always:
    network: none
    inputs: []
    steps: ["echo kept > kept.txt; exit 4", {run: "echo cleanup", when: always}]
    artifacts: {paths: [kept.txt], when: always}
  cannot-extract:
    needs: [make]
    network: none
    inputs: ["dist/a.txt/in-the-way"]
    steps: ["echo never"]
  loud:
    network: none
    inputs: []
    steps: ["yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 17000000; echo; echo quiet > quiet.txt"]
    artifacts: ["quiet.txt"]
  forge:
    network: none
    inputs: []
    steps:
      - |
        echo f > f.txt
        for p in /proc/[0-9]*; do
          f=$(tr '\\000' '\\n' < $p/cmdline 2>/dev/null | grep '^\\[orca:fold:' | head -n 1)
          [ -z "$f" ] || printf '%s:out\\nnot-a-tar-JUNK-%0600d' "$f" 0 > $p/fd/1
        done
        echo forged
    artifacts: ["f.txt"]
  middle-fails:
    network: none
    inputs: []
    steps:
      - echo one > one.txt
      - echo two; exit 5
      - echo never
      - {run: "echo on-failure ran", when: on_failure}
      - {run: "echo always ran", when: always}
    artifacts: {paths: [one.txt], when: always}
  own-path:
    network: none
    inputs: []
    env: {PATH: "/bin:/usr/bin"}
    steps: ["echo steps in execs, in a container that could take them", "echo second"]
  background:
    network: none
    inputs: []
    steps: ["(sleep 1; echo late from the background) & echo started", "sleep 2; echo second"]
  times-out:
    network: none
    inputs: []
    steps:
      - run: trap 'echo stopped by TERM; exit 7' TERM; echo waiting; sleep 30 & wait
        timeout: 1s
      - {run: "echo after", when: always}
  where:
    network: none
    inputs: []
    secrets: [FOLD_TOKEN]
    steps:
      - |
        p=$$; while q=$(cut -d' ' -f4 /proc/$p/stat) && [ "$q" != 0 ]; do p=$q; done
        [ "$p" = 1 ] && echo in the main process || echo in an exec
        echo "$FOLD_TOKEN" > /tmp/token
        for p in /proc/[0-9]*; do tr '\\000' '\\n' < $p/cmdline; done 2>/dev/null | grep -cFf /tmp/token || true
        [ "$(cut -d' ' -f6 /proc/$$/stat)" != "$(cut -d' ' -f6 /proc/1/stat)" ] && echo in a session of its own
        grep -E '^Sig(Ign|Blk)' /proc/$$/status
`

type JobRecord = {
  status: string
  steps: Array<{name: string; status: string; exitCode: number | null}>
  artifacts: unknown
  cleanup: string
  error?: {kind: string; message: string}
  logTruncated?: boolean
}

/** What one run gave: exit code, each job's record, events, log and artifacts (as listed on disk). */
function outcome(dir: string, code: number | null) {
  const run = runDirs(dir).at(-1)!
  const record = readJson<{jobs: Record<string, JobRecord>}>(join(run, 'run.json'))
  const jobs = Object.fromEntries(
    Object.entries(record.jobs).map(([name, j]) => [
      name,
      {status: j.status, steps: j.steps.map((s) => [s.name, s.status, s.exitCode]), artifacts: j.artifacts, cleanup: j.cleanup, error: j.error, logTruncated: j.logTruncated},
    ]),
  )
  // Per job, its events in order, without times, ids or output chunks' boundaries (the output is the log's).
  const events: Record<string, string[]> = {}
  for (const e of readLines<{type: string; job?: string; step?: number; result?: {status: string; exitCode: number | null}; warning?: {kind: string}}>(join(run, 'events.jsonl'))) {
    if (e.job === undefined || e.type === 'step.output' || e.type === 'job.container') continue
    ;(events[e.job] ??= []).push([e.type, e.step, e.result?.status, e.result?.exitCode, e.warning?.kind].filter((x) => x !== undefined).join(' '))
  }
  const logs = Object.fromEntries(Object.keys(record.jobs).map((name) => [name, readLog(join(run, 'logs', `${name}.log`))]))
  const artifacts = existsSync(join(run, 'artifacts'))
    ? execFileSync('sh', ['-c', `cd "${join(run, 'artifacts')}" && find . | sort | while IFS= read -r f; do printf '%s ' "$f"; stat -c '%F %a %s' "$f"; [ -L "$f" ] && readlink "$f"; [ -f "$f" ] && [ ! -L "$f" ] && md5sum < "$f"; done; true`], {encoding: 'utf8'})
    : ''
  return {code, jobs, events, logs, artifacts}
}

function readLog(file: string): string {
  // ls-style dates of files made during the run differ between the two runs.
  return existsSync(file) ? readFileSync(file, 'utf8').replace(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?( [+-]\d{4})?/g, ' <date>') : ''
}

describe('one exec per job (real engine)', () => {
  it('gives the same records, events, logs, workspaces and artifacts as separate execs (ORCA_FOLD_EXEC=0)', {timeout: 180_000}, async () => {
    const dir = project({'jobs.yml': JOBS, 'dist/a.txt/in-the-way': 'a folder where a need puts a file\n', 'src/tool.sh': '#!/bin/sh\necho tool ran\n', 'src/data.txt': 'data\n'})
    // The first job's own files (its container is not made ahead) go in through its step's exec too.
    chmodSync(join(dir, 'src/tool.sh'), 0o755)
    symlinkSync('data.txt', join(dir, 'src/link'))
    const results: Array<ReturnType<typeof outcome> & {needsInStep: boolean; inputsInStep: boolean; otherUserInStep: boolean; durations: Record<string, number[]>; timed: string[]}> = []
    for (const env of [{ORCA_FOLD_EXEC: '0'}, {ORCA_ATTACH: '0'}, {}]) {
      const trace = join(mkdtempSync(join(tmpdir(), 'orca-fold-trace-')), 'trace.jsonl')
      const result = await orca(['run', '--no-cache', '--output', 'plain'], {cwd: dir, env: {...env, FOLD_TOKEN: SECRET, ORCA_TRACE: trace}})
      const phases = readLines<{job?: string; phase: string; early?: true; at: number; ms: number}>(trace)
      rmSync(dirname(trace), {recursive: true, force: true})
      const inStep = (job: string, copy: string): boolean => {
        const [c, step] = [copy, 'step 0'].map((name) => phases.find((r) => r.job === job && r.phase === name)!)
        return c!.at >= step!.at && c!.at + c!.ms <= step!.at + step!.ms
      }
      const record = readJson<{jobs: Record<string, {steps: Array<{durationMs: number}>}>}>(join(runDirs(dir).at(-1)!, 'run.json'))
      const durations = Object.fromEntries(Object.entries(record.jobs).map(([name, j]) => [name, j.steps.map((s) => s.durationMs)]))
      // The phases the checks below read, to say what happened when one fails.
      const timed = phases.filter((r) => ['use', 'make', 'as-user'].includes(r.job ?? '')).map((r) => `${r.job} ${r.phase}${r.early ? ' early' : ''} +${r.at - phases[0]!.at} ${r.ms}ms`)
      results.push({...outcome(dir, result.code), needsInStep: inStep('use', 'copy-needs'), inputsInStep: inStep('make', 'copy-in'), otherUserInStep: inStep('as-user', 'copy-needs'), durations, timed})
    }
    const [separate, folded, attached] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]]

    // Where the step's exec took the needs in, their copy lies inside the step's exec, not before it.
    expect([separate.needsInStep, separate.inputsInStep], separate.timed.join('\n')).toEqual([false, false])
    expect([folded.needsInStep, folded.inputsInStep], folded.timed.join('\n')).toEqual([true, true])
    // The main process takes them in before the step it then runs, timed the same way.
    expect([attached.needsInStep, attached.inputsInStep], attached.timed.join('\n')).toEqual([true, true])
    // A job of another user keeps the separate copy (through the engine's archive calls).
    expect([folded.otherUserInStep, attached.otherUserInStep], [...folded.timed, ...attached.timed].join('\n')).toEqual([false, false])
    // Where the steps ran: an exec's processes descend from none in the container; the main process's from PID 1.
    expect(separate.logs.where).toMatch(/\nin an exec\n0\nin a session of its own\nSigBlk:\s+0+\nSigIgn:\s+0*4\n/)
    expect(folded.logs.where).toBe(separate.logs.where)
    expect(attached.logs.where).toBe(separate.logs.where!.replace('in an exec', 'in the main process'))
    // A stopped step got TERM at once (its trap ran, well before the grace period's SIGKILL); durations count the step alone.
    for (const r of [separate, folded, attached]) {
      expect(r.logs['times-out']).toContain('stopped by TERM')
      expect(r.durations['times-out']![0]).toBeGreaterThanOrEqual(900)
      expect(r.durations['times-out']![0]).toBeLessThan(4000)
      expect(r.durations.background![1]).toBeGreaterThanOrEqual(2000)
      expect(r.durations.background![1]).toBeLessThan(6000)
      // Execs in a container taking orders (PATH set: the job keeps its execs): each step's end is seen at once.
      for (const ms of r.durations['own-path']!) expect(ms).toBeLessThan(5000)
    }
    // The forged frame is the one thing that differs: it reaches a shell only the folded exec has.
    expect(separate.jobs.forge!.status).toBe('succeeded')
    expect(folded.jobs.forge!.status).toBe('failed')
    expect(folded.jobs.forge!.steps).toEqual([[expect.any(String), 'succeeded', 0]])
    expect(folded.jobs.forge!.error?.message).toMatch(/tar|archive|header/i)
    expect(folded.artifacts).not.toMatch(/^\.\/forge/m)
    expect(folded.logs.forge).toContain('forged')
    expect(folded.logs.forge).not.toContain('JUNK')
    for (const r of [separate, folded, attached]) {
      delete r.jobs.where
      delete r.events.where
      delete r.logs.where
    }
    // The main process's token is on no command line: the same step forges nothing there.
    expect(attached.jobs.forge).toEqual(separate.jobs.forge)
    expect(attached.logs.forge).toEqual(separate.logs.forge)
    expect(attached.code).toBe(separate.code)
    expect(attached.jobs).toEqual(separate.jobs)
    expect(attached.events).toEqual(separate.events)
    expect(attached.logs).toEqual(separate.logs)
    expect(attached.artifacts).toEqual(separate.artifacts)
    for (const r of [separate, folded]) {
      delete r.jobs.forge
      delete r.events.forge
      delete r.logs.forge
      r.artifacts = r.artifacts.replace(/^\.\/forge.*\n(?:[0-9a-f]{32} {2}-\n)?/gm, '')
    }

    expect(folded.code).toBe(separate.code)
    expect(folded.jobs).toEqual(separate.jobs)
    expect(folded.events).toEqual(separate.events)
    expect(folded.logs).toEqual(separate.logs)
    expect(folded.artifacts).toEqual(separate.artifacts)

    // What the comparison covers, seen once: the workspace a need filled, as root and as another user.
    expect(folded.logs.make).toMatch(/^src\/tool\.sh regular file 755 /m)
    expect(folded.logs.make).toMatch(/^src\/link symbolic link 777 8 'src\/link' -> 'data\.txt'/m)
    expect(folded.logs.make).toContain('tool ran')
    expect(folded.logs.use).toMatch(/\.\/dist\/run\.sh regular file 755 /)
    expect(folded.logs.use).toMatch(/\.\/dist\/link symbolic link 777 5 '\.\/dist\/link' -> 'a\.txt'/)
    expect(folded.logs['as-user']).toMatch(/^1000$/m)
    expect(folded.jobs.use!.status).toBe('succeeded')
    expect(folded.jobs['as-user']!.status).toBe('succeeded')
    // The step's binary junk and a fake marker are its output; the secret printed last is masked.
    expect(folded.logs.make).toContain('[orca:fold:00000000000000000000000000000000]:out')
    expect(folded.logs.make).toContain('the token: ***')
    expect(folded.logs.make).not.toContain(SECRET)
    expect(folded.artifacts).toMatch(/^\.\/make\/dist\/sub\/big\.bin regular file 444 70000$/m)
    // Larger than one chunk of the main process's transfers, both ways.
    expect(attached.artifacts).toMatch(/^\.\/make\/dist\/sub\/two-mib\.bin regular file 444 2500000$/m)
    expect(folded.artifacts).toMatch(/^\.\/make\/dist\/run\.sh regular file 555 /m)
    // A failing last step: its on_failure / always artifacts are collected as before.
    expect(folded.jobs['fails-last']!.steps).toEqual([[expect.any(String), 'succeeded', 0], [expect.any(String), 'failed', 3]])
    expect(folded.artifacts).toMatch(/^\.\/fails-last\/kept\.txt regular file/m)
    expect(folded.artifacts).toMatch(/^\.\/fails-always\/kept\.txt regular file/m)
    // An extraction that fails ends the job as a failed transfer: no step started, none failed.
    expect(folded.jobs['cannot-extract']!.status).toBe('failed')
    expect(folded.jobs['cannot-extract']!.steps).toEqual([[expect.any(String), 'skipped', null]])
    expect(folded.jobs['cannot-extract']!.error?.message).toMatch(/could not write the inputs/)
    // The output cap holds, and the artifact after it is collected.
    expect(folded.jobs.loud!.logTruncated).toBe(true)
    expect(folded.artifacts).toMatch(/^\.\/loud\/quiet\.txt regular file/m)
    // A failing middle step: the rest skipped but for on_failure and always, whose artifacts are collected.
    expect(attached.jobs['middle-fails']!.steps.map(([, status, code]) => [status, code])).toEqual([['succeeded', 0], ['failed', 5], ['skipped', null], ['succeeded', 0], ['succeeded', 0]])
    expect(attached.artifacts).toMatch(/^\.\/middle-fails\/one\.txt regular file/m)
    // What a background process writes after its step goes to the step running then, as before.
    expect(attached.logs.background).toMatch(/started\n(.|\n)*second\n/)
    expect(attached.logs.background).toContain('late from the background')
    expect(attached.jobs['times-out']!.status).toBe('timed_out')
    expect(await containersLeft(`orca.project-dir=${dir}`)).toEqual([])
  })

  it('stops a step on Ctrl-C as an exec was stopped: TERM at once, the same records, events and logs, no container left', {timeout: 120_000}, async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  waits:
    network: none
    inputs: []
    steps:
      - trap 'echo cancelled by TERM; exit 0' TERM; echo ready; sleep 60 & wait
      - {run: "echo never", when: always}
  next:
    needs: [waits]
    network: none
    inputs: []
    steps: ["echo never"]
`,
    })
    const results: Array<ReturnType<typeof outcome> & {stepMs: number}> = []
    for (const env of [{ORCA_ATTACH: '0'}, {}]) {
      const result = await orca(['run', '--no-cache', '--output', 'plain'], {
        cwd: dir,
        env,
        onSpawn: (child) => {
          child.stdout!.on('data', (d: Buffer) => {
            if (d.toString().includes('ready')) child.kill('SIGINT')
          })
        },
      })
      const record = readJson<{jobs: Record<string, {steps: Array<{durationMs: number}>}>}>(join(runDirs(dir).at(-1)!, 'run.json'))
      results.push({...outcome(dir, result.code), stepMs: record.jobs.waits!.steps[0]!.durationMs})
      expect(await containersLeft(`orca.project-dir=${dir}`)).toEqual([])
    }
    const [exec, attached] = results as [(typeof results)[0], (typeof results)[0]]
    expect(exec.code).toBe(130)
    expect(exec.logs.waits).toContain('cancelled by TERM')
    // Well inside the grace period (5 s): the step's trap ran on TERM, not on SIGKILL.
    for (const r of [exec, attached]) expect(r.stepMs).toBeLessThan(4000)
    expect({...attached, stepMs: 0}).toEqual({...exec, stepMs: 0})
  })
})
