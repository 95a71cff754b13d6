import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {basename, join, relative} from 'node:path'

import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {git} from '../helpers/git.js'
import {NEUTRAL_ENV, ORCA_BIN, orca, projectsPerTest, removeProjectResources, removeRunContainers, runProgram} from './cli.js'
import {GITLAB_CI_LOCAL_ENTRY, installGitlabCiLocal} from './gitlab-ci-local-tool.js'

const project = projectsPerTest()
const builds: string[] = []
afterEach(() => {
  // Each GitLab job ran orca in its own build folder: its containers are labelled with that folder.
  for (const dir of builds.splice(0)) {
    const runs = join(dir, '.orca/runs')
    for (const run of existsSync(runs) ? readdirSync(runs) : []) removeRunContainers(basename(run))
    removeProjectResources(dir)
  }
})

beforeAll(installGitlabCiLocal, 180_000)

const JOBS = `version: 1
image: busybox:1.36
jobs:
  gen:
    inputs: ["src/**"]
    steps:
      - mkdir -p out && sort src/words.txt > out/sorted.txt
      - head -c 32 /dev/urandom | od -An -x > out/noise.txt
    artifacts: ["out/**"]
  count:
    needs: [gen]
    inputs: []
    steps: ["mkdir -p c && wc -l < out/sorted.txt > c/count.txt && cp out/noise.txt c/noise.txt"]
    artifacts: ["c/**"]
  broken:
    needs: [gen]
    inputs: []
    steps: ["echo the reason > why.txt && exit 3"]
    artifacts: {paths: ["why.txt"], when: on_failure}
  summary:
    needs: [count]
    inputs: []
    steps: ["cat c/count.txt"]
  cleanup:
    needs: [broken]
    when: always
    inputs: []
    steps: ["echo cleaning up after broken"]
`

describe('the GitLab child pipeline under gitlab-ci-local (shell runner, a build folder per job)', () => {
  it('runs each job in its own folder after its needs, needs restored from the artifacts, when: always kept, a failure skipping only its dependents', async () => {
    const dir = project({'jobs.yml': JOBS, 'src/words.txt': 'b\na\n', '.gitignore': '.orca/\n.gitlab-ci-local/\n'})
    git(dir, 'init', '-q')
    const generated = await orca(['ci', 'gitlab', '--runner', 'shell', '--install', 'true', '--orca', `${process.execPath} ${ORCA_BIN}`], {cwd: dir})
    expect(generated.code, generated.stderr).toBe(0)
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'pipeline')

    const result = await runProgram(
      process.execPath,
      [GITLAB_CI_LOCAL_ENTRY, '--file', '.gitlab/orca-pipeline.yml', '--shell-isolation', '--shell-executor-no-image', '--no-artifacts-to-source'],
      {cwd: dir, env: {...NEUTRAL_ENV, NO_COLOR: '1'}},
    )
    for (const job of ['gen', 'count', 'broken', 'summary', 'cleanup']) builds.push(join(dir, '.gitlab-ci-local/builds', job))
    const log = result.stdout + result.stderr
    // broken fails on purpose. summary, in a later stage but not needing it, still runs: the pipeline
    // is a DAG through needs:, as one orca run is, not stages where a failure skips every later one.
    expect(log).toMatch(/PASS\s+gen/)
    expect(log).toMatch(/PASS\s+count/)
    expect(log).toMatch(/FAIL\s+broken/)
    expect(log).toMatch(/PASS\s+summary/)
    expect(log).toMatch(/PASS\s+cleanup/)
    expect(result.code).toBe(1)

    const lastRun = (job: string): string => {
      const runs = join(dir, '.gitlab-ci-local/builds', job, '.orca/runs')
      const mine = readdirSync(runs).filter((id) => (JSON.parse(readFileSync(join(runs, id, 'run.json'), 'utf8')) as {targets: string[]}).targets.includes(job))
      return join(runs, mine.sort().at(-1)!)
    }
    const record = (job: string): {status: string; jobs: Record<string, {status: string}>} => JSON.parse(readFileSync(join(lastRun(job), 'run.json'), 'utf8'))
    expect(record('count').jobs).toMatchObject({gen: {status: 'cached'}, count: {status: 'succeeded'}})
    // gen's random bytes came to count's folder through the artifacts, restored, not made again.
    expect(readFileSync(join(lastRun('count'), 'artifacts/count/c/noise.txt'), 'utf8')).toBe(readFileSync(join(lastRun('gen'), 'artifacts/gen/out/noise.txt'), 'utf8'))
    expect(readFileSync(join(lastRun('count'), 'artifacts/count/c/count.txt'), 'utf8').trim()).toBe('2')
    // broken's failure-time artifact is in its run directory, which GitLab keeps as the job's artifact whatever happened.
    expect(record('broken').status).toBe('failed')
    expect(readFileSync(join(dir, '.gitlab-ci-local/artifacts/broken', relative(join(dir, '.gitlab-ci-local/builds/broken'), lastRun('broken')), 'artifacts/broken/why.txt'), 'utf8')).toBe('the reason\n')
    expect(record('summary').jobs).toMatchObject({gen: {status: 'cached'}, count: {status: 'cached'}, summary: {status: 'succeeded'}})
    // cleanup ran after broken failed: broken is not in the cache, which it sees as failed.
    expect(record('cleanup')).toMatchObject({status: 'succeeded', jobs: {broken: {status: 'failed'}, cleanup: {status: 'succeeded'}}})
  }, 240_000)
})
