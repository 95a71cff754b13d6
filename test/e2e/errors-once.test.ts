import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV as NEUTRAL, orca, projectsPerTest, type CliResult} from './cli.js'
const MISSING_IMAGE = 'orca-test/no-such-image:does-not-exist'

const project = projectsPerTest()

function pipeline(image: string): string {
  return `version: 1
jobs:
  build:
    image: ${image}
    inputs: []
    network: none
    steps: ["echo never"]
`
}

/** How often `text` occurs in `output`. */
function count(output: string, text: string): number {
  return output.split(text).length - 1
}

const FAILURES = [
  {
    name: 'the engine is unreachable',
    files: {'jobs.yml': pipeline('busybox:1.36')},
    env: {DOCKER_HOST: 'unix:///nonexistent/orca-test/docker.sock'},
    message: 'cannot reach the Docker engine',
    hint: 'Start Docker',
  },
]

const OUTPUTS = [
  {output: 'plain', env: {}},
  {output: 'GitHub Actions', env: {GITHUB_ACTIONS: 'true'}},
  {output: 'GitLab CI', env: {GITLAB_CI: 'true'}},
]

describe('an infrastructure error is said once, with its hint', () => {
  for (const failure of FAILURES) {
    for (const {output, env} of OUTPUTS) {
      it(`when ${failure.name}, under ${output} output`, async () => {
        const dir = project(failure.files)
        const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {...NEUTRAL, ...env, ...failure.env}})
        expect(result.code).toBe(3)
        expect(count(result.stdout + result.stderr, failure.message)).toBe(1)
        expect(count(result.stdout + result.stderr, failure.hint)).toBe(1)
        // The job line and the summary refer to it instead.
        expect(count(result.stdout, 'could not run: see the error below')).toBeGreaterThanOrEqual(2)
        expect(result.stdout).not.toMatch(/^error:/m)
        expect(result.stderr).not.toContain('    at ')
        if (output === 'GitHub Actions') {
          // One annotation for the run, carrying the message and its hint; none per job.
          expect(result.stderr).toMatch(new RegExp(`^::error title=orca::${escape(failure.message)}.*%0Ahint: .*${escape(failure.hint)}`, 'm'))
          expect(result.stdout).not.toContain('::error')
        } else {
          expect(result.stderr).toMatch(new RegExp(`^error: ${escape(failure.message)}`, 'm'))
          expect(result.stderr).toMatch(new RegExp(`^hint: .*${escape(failure.hint)}`, 'm'))
        }
      })
    }

    it(`when ${failure.name}, under --output json: stdout stays pure NDJSON, stderr says it once`, async () => {
      const dir = project(failure.files)
      const result: CliResult = await orca(['run', '--output', 'json'], {cwd: dir, env: {...NEUTRAL, ...failure.env}})
      expect(result.code).toBe(3)
      const events = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as {type: string; error?: {kind: string; message: string}})
      expect(events.at(-1)).toMatchObject({type: 'run.finished', error: {kind: 'infra', message: expect.stringContaining(failure.message)}})
      expect(count(result.stderr, failure.message)).toBe(1)
      expect(count(result.stderr, failure.hint)).toBe(1)
      expect(result.stderr).toMatch(new RegExp(`^error: ${escape(failure.message)}`))
    })
  }

  // An image that cannot be pulled fails its jobs, not the run (other images' jobs run); a run whose
  // only failures are missing images exits 3, an infrastructure error.
  it('a failed pull fails its job, whose verdict carries the hint naming the way out: registry login, a local build, orca init --image', async () => {
    const dir = project({'jobs.yml': pipeline(MISSING_IMAGE)})
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: NEUTRAL})
    expect(result.code).toBe(3)
    expect(result.stdout).toMatch(new RegExp(`^\\[build\\] ✗ failed \\(could not pull image "${escape(MISSING_IMAGE)}": `, 'm'))
    expect(result.stdout).toContain(
      `[build]   hint: check the image name and tag; if its registry needs credentials, log in first (docker login); or build it locally (docker build -t ${MISSING_IMAGE} .); ` +
        'or use images you can pull: set image: in jobs.yml, or start over with orca init --force --image IMAGE\n',
    )
    expect(result.stderr).not.toMatch(/^error:/m)
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
