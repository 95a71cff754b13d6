import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {git} from '../helpers/git.js'
import {NEUTRAL_ENV, orca, projectsPerTest, readJson, runDirs, runProgram} from './cli.js'
import {GITLAB_CI_LOCAL_ENTRY, installGitlabCiLocal} from './gitlab-ci-local-tool.js'

const project = projectsPerTest()
const POSTGRES = 'orca-test/postgres:15'

beforeAll(() => {
  installGitlabCiLocal()
  // Without it the services test fails on a pull no registry answers; say what to run instead.
  execFileSync('docker', ['image', 'inspect', POSTGRES], {stdio: 'ignore'})
}, 180_000)

type RunRecord = {status: string; jobs: Record<string, {status: string}>}
const lastRun = (dir: string): string => runDirs(dir).at(-1)!

// No image: gitlab-ci-local runs it with its shell executor here (no registry to pull its helper
// image from); orca import --image gives the jobs busybox.
const PIPELINE = `# A pipeline both tools run: stages, a matrix, artifacts, needs, rules, when, allow_failure.
stages: [build, test, report]

variables:
  GREETING: hello

build:
  stage: build
  script:
    - mkdir -p out
    - echo "$GREETING from $CI_JOB_NAME" > out/greeting.txt
  artifacts:
    paths: [out/]

test:
  stage: test
  parallel:
    matrix:
      - SUITE: [unit, lint]
  script:
    - grep -q hello out/greeting.txt
    - mkdir -p results && echo "$SUITE passed" > "results/$SUITE.txt"
  artifacts:
    paths: [results/]

broken:
  stage: test
  script:
    - echo "the reason" > why.txt
    - exit 3
  artifacts:
    when: on_failure
    paths: [why.txt]

allowed:
  stage: test
  allow_failure: true
  script: exit 1

release-only:
  stage: test
  rules:
    - if: $CI_COMMIT_BRANCH == "release"
  script: echo release

on-failure:
  stage: report
  when: on_failure
  script: echo "something failed"

summary:
  stage: report
  needs: [build, test]
  script:
    - cat out/greeting.txt results/unit.txt results/lint.txt > summary.txt
  artifacts:
    paths: [summary.txt]

cleanup:
  stage: .post
  when: always
  script: echo done
`

describe('orca import gitlab, then orca run: the same job results as gitlab-ci-local', () => {
  it('passes, fails, allows and skips the same jobs, and makes the same artifact', async () => {
    const dir = project({'.gitlab-ci.yml': PIPELINE, '.gitignore': '.orca/\n.gitlab-ci-local/\n'})
    git(dir, 'init', '-q')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'pipeline')
    const gcl = await runProgram(process.execPath, [GITLAB_CI_LOCAL_ENTRY, '--shell-isolation', '--shell-executor-no-image', '--no-artifacts-to-source'], {
      cwd: dir,
      env: {...NEUTRAL_ENV, NO_COLOR: '1'},
    })
    const gclLog = gcl.stdout + gcl.stderr
    // The summary at the end: ` PASS  test: [unit]`, ` WARN  allowed  pre_script`, ` FAIL  broken`.
    const gclResults = new Map<string, string>()
    for (const m of gclLog.matchAll(/^ (PASS|FAIL|WARN) {2}(\S+(?: \[[^\]]+\])?)/gm)) gclResults.set(m[2]!.replace(/: \[(.+)\]$/, '-$1'), m[1]!)
    expect(gclResults.size, gclLog).toBe(8)
    expect(gcl.code).toBe(1)

    const imported = await orca(['import', 'gitlab', '--image', 'busybox:1.36', '-o', 'jobs.yml'], {cwd: dir})
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toContain('wrote jobs.yml (8 jobs)')
    const run = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(run.code, run.stdout + run.stderr).toBe(1)
    const record = readJson<RunRecord>(join(lastRun(dir), 'run.json'))

    const asOrca: Record<string, string> = {PASS: 'succeeded', WARN: 'succeeded', FAIL: 'failed'}
    const expected = Object.fromEntries([...gclResults].map(([job, result]) => [job, asOrca[result]]))
    // gitlab-ci-local leaves a job its rules exclude out of the pipeline; orca skips it, saying why.
    expect(record.jobs['release-only']?.status).toBe('skipped')
    const {['release-only']: _skipped, ...ran} = Object.fromEntries(Object.entries(record.jobs).map(([job, info]) => [job, info.status]))
    expect(ran).toEqual(expected)
    const gclSummary = readFileSync(join(dir, '.gitlab-ci-local/artifacts/summary/summary.txt'), 'utf8')
    expect(readFileSync(join(lastRun(dir), 'artifacts/summary/summary.txt'), 'utf8')).toBe(gclSummary)
    expect(gclSummary).toBe('hello from build\nunit passed\nlint passed\n')
    // broken's artifact is collected when it fails, by both.
    expect(readFileSync(join(lastRun(dir), 'artifacts/broken/why.txt'), 'utf8')).toBe('the reason\n')
  }, 300_000)
})

describe('orca import runs what it wrote', () => {
  it('a GitLab job with a PostgreSQL service: the job waits for its port and reaches it by its name', async () => {
    const dir = project({
      '.gitlab-ci.yml': `variables:
  POSTGRES_PASSWORD: hunter22
  POSTGRES_DB: app
  PGPASSWORD: hunter22

test:
  image: ${POSTGRES}
  services: [${POSTGRES}]
  script:
    - psql -h postgres -U postgres -d app -v ON_ERROR_STOP=1 -At -c "select 'answer=' || 40 + 2"
`,
    })
    const imported = await orca(['import', 'gitlab', '-o', 'jobs.yml'], {cwd: dir})
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/services: orca-test\/postgres:15 — service postgres, ready when port 5432 listens/)
    const run = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(readFileSync(join(lastRun(dir), 'logs/test.log'), 'utf8')).toContain('answer=42')
  }, 240_000)

  it('a GitHub workflow: matrix, needs with artifacts, a failure-only job, and an action left out as a comment', async () => {
    const dir = project({
      '.github/workflows/ci.yml': `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    container: busybox:1.36
    strategy:
      matrix:
        flavour: [plain, fancy]
    steps:
      - uses: actions/checkout@v4
      - run: mkdir -p dist && echo "\${{ matrix.flavour }}" > dist/\${{ matrix.flavour }}.txt
      - uses: actions/upload-artifact@v4
        with:
          name: dist-\${{ matrix.flavour }}
          path: dist/
      - uses: codecov/codecov-action@v4
  check:
    needs: build
    runs-on: ubuntu-latest
    container: busybox:1.36
    steps:
      - uses: actions/download-artifact@v4
      - run: cat dist/plain.txt dist/fancy.txt > both.txt && test "$(wc -l < both.txt)" -eq 2
  rollback:
    needs: check
    if: failure()
    runs-on: ubuntu-latest
    container: busybox:1.36
    steps:
      - run: echo rolling back
`,
    })
    const imported = await orca(['import', 'github', '-o', 'jobs.yml', '--strict'], {cwd: dir})
    // codecov has no local equivalent: dropped, so --strict fails, but the file is written.
    expect(imported.code).toBe(1)
    expect(imported.stderr).toContain('--strict: 1 construct was dropped')
    expect(imported.stdout).toMatch(/dropped:\n {2}\.github\/workflows\/ci\.yml:16:9 build: uses: codecov\/codecov-action@v4/)
    expect(readFileSync(join(dir, 'jobs.yml'), 'utf8')).toContain('# GitHub action (no local equivalent): uses: codecov/codecov-action@v4')
    const run = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const record = readJson<RunRecord>(join(lastRun(dir), 'run.json'))
    expect(Object.fromEntries(Object.entries(record.jobs).map(([job, info]) => [job, info.status]))).toEqual({
      'build-plain': 'succeeded',
      'build-fancy': 'succeeded',
      check: 'succeeded',
      rollback: 'skipped',
    })
  }, 240_000)
})

describe('orca import: the command', () => {
  it('prints jobs.yml on stdout and the report on stderr; --json gives the report as data', async () => {
    const dir = project({'.gitlab-ci.yml': 'job:\n  image: busybox:1.36\n  script: [echo hi]\n  coverage: /x/\n'})
    const printed = await orca(['import', 'gitlab'], {cwd: dir})
    expect(printed.code, printed.stderr).toBe(0)
    expect(printed.stdout).toContain('version: 1\n')
    expect(printed.stdout).toContain('steps: [echo hi]')
    expect(printed.stderr).toContain('.gitlab-ci.yml:4:3 job: coverage')
    const json = await orca(['import', 'gitlab', '-o', 'jobs.yml', '--json'], {cwd: dir})
    expect(json.code, json.stderr).toBe(0)
    const report = JSON.parse(json.stdout) as {counts: Record<string, number>; valid: boolean; entries: Array<{construct: string; status: string; line: number; column: number; job: string}>}
    expect(report.valid).toBe(true)
    expect(report.counts.dropped).toBe(1)
    expect(report.entries).toContainEqual(expect.objectContaining({construct: 'coverage', status: 'dropped', line: 4, column: 3, job: 'job'}))
    // The file is there and orca validate takes it.
    expect((await orca(['validate'], {cwd: dir})).code).toBe(0)
  })

  it('refuses to overwrite a file without --force, and reads no file it cannot parse (exit 2, with the position)', async () => {
    const dir = project({'.gitlab-ci.yml': 'job:\n  script: [echo hi\n', 'jobs.yml': 'mine\n'})
    const exists = await orca(['import', 'gitlab', '-o', 'jobs.yml'], {cwd: dir})
    expect(exists.code).toBe(2)
    expect(exists.stderr).toContain('jobs.yml: already exists')
    expect(readFileSync(join(dir, 'jobs.yml'), 'utf8')).toBe('mine\n')
    const broken = await orca(['import', 'gitlab', '-o', 'jobs.yml', '--force'], {cwd: dir})
    expect(broken.code).toBe(2)
    expect(broken.stderr).toMatch(/^\.gitlab-ci\.yml:3:1: invalid YAML/m)
    expect(broken.stderr).not.toContain('    at ')
    expect(readFileSync(join(dir, 'jobs.yml'), 'utf8')).toBe('mine\n')
    const missing = await orca(['import', 'github'], {cwd: dir})
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no workflow files')
    writeFileSync(join(dir, 'ci.yml'), '- a list\n')
    const list = await orca(['import', 'github', 'ci.yml'], {cwd: dir})
    expect(list.code).toBe(2)
    expect(list.stderr).toContain('ci.yml:1:1: expected a mapping of keys')
  })
})
