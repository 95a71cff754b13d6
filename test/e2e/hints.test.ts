import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV as NEUTRAL, orca, projectsPerTest} from './cli.js'

const project = projectsPerTest()

describe('hints that fit the case', () => {
  it('a missing secret: the hint names the secrets that are missing', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  publish:
    secrets: [REGISTRY_TOKEN, SIGNING_KEY]
    steps: ["echo publish"]
  notify:
    secrets: [REGISTRY_TOKEN]
    steps: ["echo notify"]
`,
    })
    const result = await orca(['run'], {cwd: dir, env: {...NEUTRAL, REGISTRY_TOKEN: undefined, SIGNING_KEY: undefined}})
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      "error: secrets not set in orca's environment: REGISTRY_TOKEN (jobs.publish.secrets), SIGNING_KEY (jobs.publish.secrets), REGISTRY_TOKEN (jobs.notify.secrets)\n" +
        "hint: export REGISTRY_TOKEN and SIGNING_KEY before running orca, e.g. `REGISTRY_TOKEN=... SIGNING_KEY=... orca run` (secrets are read from orca's own environment, not from -e)\n",
    )
  })

  it('a ": " in an unquoted step: the error says to quote it, with the quoted text', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  greet:\n    steps:\n      - echo Note: quoted\n'})
    const result = await orca(['validate'], {cwd: dir, env: NEUTRAL})
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`jobs.yml:6:9 jobs.greet.steps[0]: the ": " in it makes this a mapping, not text; quote it: 'echo Note: quoted'\n`)
  })
})
