import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {GIT_ENV, git} from '../helpers/git.js'
import {NEUTRAL_ENV, orca, projectsPerTest} from './cli.js'

const project = projectsPerTest()
// orca with git's user and system configuration out of the way, as the repository was made.
const ENV = {...NEUTRAL_ENV, GIT_CONFIG_GLOBAL: GIT_ENV.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: '1'}

const PIPELINE = `version: 1
image: orca-test/node:20
jobs:
  version:
    git: true
    steps:
      - echo "version $(git describe --tags)"
      - echo "branch $(git rev-parse --abbrev-ref HEAD)"
      - name: fresh
        run: git diff --exit-code && echo "clean"
  shallow:
    git: {depth: 1}
    steps:
      - echo "commits $(git rev-list --count HEAD)"
  plain:
    steps:
      - test ! -e .git && echo "no history"
`

/** A repository with a tagged commit and one after it. */
function repository(): string {
  const dir = project({'jobs.yml': PIPELINE, 'app.txt': 'one\n'})
  git(dir, 'init', '-q')
  git(dir, 'add', '.')
  git(dir, 'commit', '-qm', 'first')
  git(dir, 'tag', 'v1.0.0')
  writeFileSync(join(dir, 'app.txt'), 'two\n')
  git(dir, 'commit', '-qam', 'second')
  return dir
}

describe('git: (real engine)', () => {
  it('gives the job the history for git describe and git diff; a shallow one with depth; none without git:', async () => {
    const dir = repository()
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const head = git(dir, 'rev-parse', '--short=7', 'HEAD').trim()
    expect(result.stdout).toMatch(new RegExp(`^\\[version\\] +version v1\\.0\\.0-1-g${head}$`, 'm'))
    expect(result.stdout).toMatch(/^\[version\] +branch main$/m)
    expect(result.stdout).toMatch(/^\[version\] +clean$/m)
    expect(result.stdout).toMatch(/^\[shallow\] +commits 1$/m)
    expect(result.stdout).toMatch(/^\[plain\] +no history$/m)
  })

  it('keys the job by HEAD, the tags and the working tree state, and says which changed', async () => {
    const dir = repository()
    expect((await orca(['run', 'version', 'plain', '--output', 'plain'], {cwd: dir, env: ENV})).code).toBe(0)
    const dry = async (): Promise<string> => (await orca(['run', 'version', 'plain', '--dry-run'], {cwd: dir, env: ENV})).stdout
    expect(await dry()).toMatch(/^version .* hit /m)

    git(dir, 'commit', '-q', '--allow-empty', '-m', 'third')
    let plan = await dry()
    expect(plan).toMatch(/^version .* miss +git HEAD changed$/m)
    // A job without git: does not care about commits.
    expect(plan).toMatch(/^plain .* hit /m)

    expect((await orca(['run', 'version', '--output', 'plain'], {cwd: dir, env: ENV})).code).toBe(0)
    git(dir, 'tag', 'v1.1.0')
    plan = await dry()
    expect(plan).toMatch(/^version .* miss +git tags changed$/m)

    expect((await orca(['run', 'version', '--output', 'plain'], {cwd: dir, env: ENV})).code).toBe(0)
    // A change staged but not committed: the file's content is the same input, git's state is not.
    writeFileSync(join(dir, 'app.txt'), 'three\n')
    git(dir, 'add', 'app.txt')
    writeFileSync(join(dir, 'app.txt'), 'two\n')
    plan = await dry()
    expect(plan).toMatch(/^version .* miss +git working tree state changed$/m)
    // The job sees it too: its index is HEAD's, and its work tree differs from it no more than the project's.
    const staged = await orca(['run', 'version', '--output', 'plain'], {cwd: dir, env: ENV})
    expect(staged.code).toBe(0)
  })
})
