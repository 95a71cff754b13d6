import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest, runDirs} from './cli.js'

const project = projectsPerTest()

/** A plain output line of `job` (names are padded to line up) that reads `text`. */
function line(job: string, text: string): RegExp {
  return new RegExp(`^\\[${job}\\] +${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm')
}

// orca-test/user:1 runs as app (1000) by its own USER; its folders belong to root.
const PIPELINE = `version: 1
image: orca-test/user:1
jobs:
  build:
    inputs: [src.txt]
    volumes: {cache: /home/app/cache}
    steps:
      - echo "build runs as $(id -un)"
      - cat src.txt > out.txt && echo built >> out.txt
      - echo run >> /home/app/cache/runs && echo "runs $(wc -l < /home/app/cache/runs)"
      - mkdir -p dist && cp out.txt dist/
    artifacts: [dist/**]
  check:
    needs: [build]
    user: builder
    inputs: []
    steps:
      - echo "check runs as $(id -un)"
      - echo checked >> dist/out.txt && cat dist/out.txt
      - touch made-by-check && echo "owner $(stat -c %u:%g made-by-check) $(stat -c %u:%g dist/out.txt)"
  numeric:
    user: "2000:2000"
    inputs: [src.txt]
    volumes: {data: /data}
    steps:
      - echo "numeric runs as $(id -u):$(id -g)"
      - echo more >> src.txt && echo x > /data/f && echo "owner $(stat -c %u:%g src.txt) $(stat -c %u:%g /data)"
`

describe('user: and the image USER (real engine)', () => {
  it("gives the workspace, needs' artifacts and named volumes to the job's user, whether the image or user: names it", async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src.txt': 'source\n'})
    const first = await orca(['run', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(line('build', 'build runs as app'))
    expect(first.stdout).toMatch(line('build', 'runs 1'))
    expect(first.stdout).toMatch(line('check', 'check runs as builder'))
    expect(first.stdout).toMatch(line('check', 'checked'))
    expect(first.stdout).toMatch(line('check', 'owner 1001:1001 1001:1001'))
    expect(first.stdout).toMatch(line('numeric', 'numeric runs as 2000:2000'))
    expect(first.stdout).toMatch(line('numeric', 'owner 2000:2000 2000:2000'))
    // The artifact written by a non-root user comes back whole.
    const run = runDirs(dir).at(-1)!
    expect(readFileSync(join(run, 'artifacts/build/dist/out.txt'), 'utf8')).toBe('source\nbuilt\n')

    // The volume stays the user's from one run to the next.
    const second = await orca(['run', 'build', '--output', 'plain', '--no-cache'], {cwd: dir, env: NEUTRAL_ENV})
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(line('build', 'runs 2'))
  })

  it('keys a job by its user: (the image USER by the image ID)', async () => {
    const jobsYml = (user: string): string => `version: 1\nimage: orca-test/user:1\njobs:\n  a:\n    inputs: []\n${user}    steps: [id -un]\n`
    const dir = project({'jobs.yml': jobsYml('')})
    const keyOf = async (): Promise<string> => {
      const dry = await orca(['run', '--dry-run'], {cwd: dir, env: NEUTRAL_ENV})
      expect(dry.code).toBe(0)
      // The plan's table: job, image, needs, key.
      return /^a +\S+ +- +([0-9a-f]{12}) /m.exec(dry.stdout)![1]!
    }
    const imageUser = await keyOf()
    writeFileSync(join(dir, 'jobs.yml'), jobsYml('    user: builder\n'))
    const builder = await keyOf()
    writeFileSync(join(dir, 'jobs.yml'), jobsYml('    user: app\n'))
    expect(new Set([imageUser, builder, await keyOf()]).size).toBe(3)
  })
})
