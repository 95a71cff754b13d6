import {symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest, readJson, runDirs} from './cli.js'

type RunRecord = {status: string; jobs: Record<string, {status: string; cache: string | null; key: string}>}

const project = projectsPerTest()
// busybox's sh has no pipefail; this image adds bash (scripts/test-images.sh).
const BASH_IMAGE = 'orca-test/bash:5'

function lastRecord(dir: string): RunRecord {
  return readJson<RunRecord>(join(runDirs(dir).at(-1)!, 'run.json'))
}

const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) => orca(['run', '--output', 'plain', ...args], {cwd: dir, env: {...NEUTRAL_ENV, ...env}})

describe('shell: (real engine)', () => {
  it('sh stops a multi-line step at its failing middle line; sh has no pipefail; bash -o pipefail fails on false | true', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: ${BASH_IMAGE}
jobs:
  multi-line:
    inputs: []
    steps:
      - |
        echo first
        false
        echo never-printed
  sh-pipe:
    inputs: []
    steps: ["false | true", "echo sh-pipe-went-on"]
  bash-pipe:
    inputs: []
    shell: bash
    steps: ["echo in-bash $BASH_VERSION", "false | true", "echo never-after-pipe"]
  step-shell:
    inputs: []
    shell: bash
    steps:
      - name: back to sh
        shell: sh
        run: "false | true; echo step-sh-went-on"
      - name: template
        shell: sh -x {0}
        run: echo from-a-script-file
      - name: the script itself
        shell: "{0}"
        run: |
          #!/bin/sh
          echo "ran as $0"
`,
    })
    const result = await run(dir, [])
    expect(result.code).toBe(1)
    const record = lastRecord(dir)
    expect(record.jobs['multi-line']?.status).toBe('failed')
    expect(result.stdout).toMatch(/\[multi-line\]\s+first/)
    expect(result.stdout).not.toContain('never-printed')
    expect(record.jobs['sh-pipe']?.status).toBe('succeeded')
    expect(result.stdout).toMatch(/\[sh-pipe\]\s+sh-pipe-went-on/)
    expect(record.jobs['bash-pipe']?.status).toBe('failed')
    expect(result.stdout).toMatch(/\[bash-pipe\]\s+in-bash 5\./)
    expect(result.stdout).not.toContain('never-after-pipe')
    expect(record.jobs['step-shell']?.status).toBe('succeeded')
    expect(result.stdout).toMatch(/\[step-shell\]\s+step-sh-went-on/)
    // sh -x traces the script file's command: the template ran the step from a file.
    expect(result.stdout).toContain('+ echo from-a-script-file')
    expect(result.stdout).toMatch(/\[step-shell\]\s+ran as \/tmp\/orca-step-[0-9a-f]+/)
  }, 120_000)

  it('an image without bash fails the step with a sentence naming the missing shell', async () => {
    const dir = project({'jobs.yml': `version: 1\nimage: busybox:1.36\njobs:\n  no-bash:\n    inputs: []\n    shell: bash\n    steps: [echo hi]\n`})
    const result = await run(dir, [])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('orca: this image has no bash (the step\'s shell: bash); use an image that has it, or another shell')
    expect(lastRecord(dir).jobs['no-bash']?.status).toBe('failed')
  }, 60_000)

  it('the shell is part of the key: changing it reruns the job', async () => {
    const text = (shell: string) => `version: 1\nimage: ${BASH_IMAGE}\njobs:\n  a:\n    inputs: []\n    shell: ${shell}\n    steps: [echo hi]\n`
    const dir = project({'jobs.yml': text('sh')})
    expect((await run(dir, [])).code).toBe(0)
    expect((await run(dir, [])).stdout).toContain('cached')
    writeFileSync(join(dir, 'jobs.yml'), text('bash'))
    expect((await run(dir, [])).code).toBe(0)
    expect(lastRecord(dir).jobs.a?.cache).toBe('miss')
  }, 120_000)
})

describe('include: and extends: (real engine)', () => {
  it('runs jobs defined in an included file that extend templates of either file', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
include: [ci/test.yml]
x-base:
  inputs: []
  env: {GREETING: hello, TARGET: world}
jobs:
  build:
    extends: x-base
    steps: ['echo "$GREETING $TARGET" > out.txt']
    artifacts: [out.txt]
`,
      'ci/test.yml': `x-loud:
  env: {TARGET: WORLD}
jobs:
  test:
    extends: [build, x-loud]
    needs: [build]
    artifacts: []
    steps: ['echo "built: $(cat out.txt); env: $GREETING $TARGET"']
`,
    })
    const validated = await orca(['validate'], {cwd: dir, env: NEUTRAL_ENV})
    expect(validated.code).toBe(0)
    expect(validated.stdout).toBe('jobs.yml: 2 jobs, 1 edge, valid\nincluded: ci/test.yml\n')
    const dryRun = await run(dir, ['test', '--dry-run'])
    expect(dryRun.code).toBe(0)
    expect(dryRun.stdout).toMatch(/test/)
    const result = await run(dir, ['test'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/\[test\]\s+built: hello world; env: hello WORLD/)
    // The included file is orca's own, like jobs.yml: an edit to it reruns only the jobs it defines.
    writeFileSync(join(dir, 'ci/test.yml'), `jobs:\n  test:\n    extends: build\n    needs: [build]\n    artifacts: []\n    steps: ['echo edited']\n`)
    const again = await run(dir, ['test'])
    expect(again.code).toBe(0)
    const record = lastRecord(dir)
    expect(record.jobs.build?.cache).toBe('hit')
    expect(record.jobs.test?.cache).toBe('miss')
    expect(again.stdout).toMatch(/\[test\]\s+edited/)
  }, 120_000)

  it('validate points into the included file (file:line:col) and at both places of a job defined twice', async () => {
    const dir = project({
      'jobs.yml': `version: 1\nimage: busybox:1.36\ninclude:\n  - ci/a.yml\njobs:\n  build:\n    steps: [make]\n`,
      'ci/a.yml': `include: [b.yml]\njobs:\n  lint:\n    extends: x-nowhere\n    timeout: soon\n    steps: [make lint]\n`,
      'ci/b.yml': `jobs:\n  build:\n    steps: [make again]\n`,
    })
    const result = await orca(['validate'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(2)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(result.stderr).toContain('ci/a.yml:4:14 jobs.lint.extends: extends "x-nowhere", which is neither a job nor a top-level x- key')
    expect(result.stderr).toContain('ci/a.yml:5:14 jobs.lint.timeout: expected a duration like "10m", got "soon"')
    expect(result.stderr).toContain('ci/b.yml:2:3 jobs.build: job "build" is defined twice (first at jobs.yml:6:3)')
  }, 60_000)

  it('refuses include paths that lead out of the project, by ../ or by a symbolic link, and include cycles', async () => {
    const outside = project({'evil.yml': 'jobs:\n  evil:\n    steps: [echo evil]\n'})
    const dir = project({
      'jobs.yml': `version: 1\nimage: busybox:1.36\ninclude: [../${outside.split('/').at(-1)}/evil.yml, link.yml, ci/loop.yml]\njobs:\n  build:\n    steps: [make]\n`,
      'ci/loop.yml': 'include: [../jobs.yml]\n',
    })
    symlinkSync(join(outside, 'evil.yml'), join(dir, 'link.yml'))
    const result = await orca(['validate'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/jobs\.yml:3:11 include\[0\]: "\.\.\/orca-e2e-\w+\/evil\.yml" is outside the project/)
    expect(result.stderr).toContain('include[1]: cannot include "link.yml": it leads out of the project through a symbolic link')
    expect(result.stderr).toContain('ci/loop.yml:1:11 include[0]: include cycle: jobs.yml -> ci/loop.yml -> jobs.yml')
    expect((await run(dir, ['--dry-run'])).code).toBe(2)
  }, 60_000)
})

describe('env_file, pass_env and optional secrets (real engine)', () => {
  it('an env file gives the job its variables, is an input (an edit reruns the job and explain names it); pass_env values are in the key', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  show:
    inputs: []
    env_file: ci/app.env
    pass_env: [REGION, UNSET_ONE]
    steps: ['echo "mode=$MODE quoted=$QUOTED region=$REGION unset=\${UNSET_ONE-absent}"']
  gated:
    inputs: []
    env_file: ci/app.env
    pass_env: [REGION]
    if: env.MODE == 'fast' && env.REGION == 'eu'
    steps: [echo gated-ran]
`,
      'ci/app.env': `# settings\nexport MODE=fast # trailing comment\nQUOTED="two words"\n`,
    })
    const env = {REGION: 'eu', UNSET_ONE: undefined}
    const first = await run(dir, [], env)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/\[show\]\s+mode=fast quoted=two words region=eu unset=absent/)
    // if: reads what the steps see: the env file's variables and the passed ones.
    expect(first.stdout).toMatch(/\[gated\]\s+gated-ran/)
    expect(lastRecord(dir).jobs.show?.cache).toBe('miss')
    await run(dir, [], env)
    expect(lastRecord(dir).jobs.show?.cache).toBe('hit')

    writeFileSync(join(dir, 'ci/app.env'), 'MODE=slow\n')
    const explained = await orca(['explain', 'show'], {cwd: dir, env: {...NEUTRAL_ENV, ...env}})
    expect(explained.stdout).toContain('ci/app.env')
    expect((await run(dir, [], env)).stdout).toMatch(/\[show\]\s+mode=slow/)
    expect(lastRecord(dir).jobs.show?.cache).toBe('miss')
    expect(lastRecord(dir).jobs.gated?.status).toBe('skipped')

    const explainedRegion = await orca(['explain', 'show'], {cwd: dir, env: {...NEUTRAL_ENV, ...env, REGION: 'us'}})
    expect(explainedRegion.stdout).toContain('REGION (pass_env): "eu" → "us"')
    await run(dir, [], {...env, REGION: 'us'})
    expect(lastRecord(dir).jobs.show?.cache).toBe('miss')
  }, 180_000)

  it('a malformed env file stops the run before it starts (exit 2, with its line and column)', async () => {
    const dir = project({
      'jobs.yml': `version: 1\nimage: busybox:1.36\njobs:\n  a:\n    inputs: []\n    env_file: [.env]\n    steps: [env]\n`,
      '.env': 'GOOD=1\nnot a line\n',
    })
    const result = await run(dir, [])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('.env:2:1: expected NAME=value, got "not a line"')
    expect(runDirs(dir)).toEqual([])
  }, 60_000)

  it('an optional secret that is not set is absent and the job runs; a required one still stops the run', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  upload:
    inputs: []
    secrets: [{name: CODECOV_TOKEN, required: false}]
    steps: ['if [ -n "\${CODECOV_TOKEN+set}" ]; then echo "token $CODECOV_TOKEN"; else echo no-token; fi']
  deploy:
    inputs: []
    secrets: [DEPLOY_KEY]
    steps: [echo deploy]
`,
    })
    const unset = await run(dir, ['upload'], {CODECOV_TOKEN: undefined})
    expect(unset.code).toBe(0)
    expect(unset.stdout).toMatch(/\[upload\]\s+no-token/)
    const set = await run(dir, ['upload'], {CODECOV_TOKEN: 's3cr3t-value'})
    expect(set.code).toBe(0)
    // Setting it changes what the job gets, so the job runs again; its value is masked.
    expect(lastRecord(dir).jobs.upload?.cache).toBe('miss')
    expect(set.stdout).toMatch(/\[upload\]\s+token \*\*\*/)
    expect(set.stdout).not.toContain('s3cr3t-value')
    const required = await run(dir, ['deploy'], {DEPLOY_KEY: undefined})
    expect(required.code).toBe(2)
    expect(required.stderr).toContain('DEPLOY_KEY (jobs.deploy.secrets)')
  }, 120_000)
})
