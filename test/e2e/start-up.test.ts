import {createServer} from 'node:net'
import type {AddressInfo} from 'node:net'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest} from './cli.js'

const project = projectsPerTest()

/** A loopback port nothing listens on (a server bound it, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe("orca run's start", () => {
  it('reaches an engine over ssh:// through the parts of dockerode the bundled run path loads only when used', async () => {
    const dir = project({'jobs.yml': 'version: 1\njobs:\n  a:\n    image: busybox:1.36\n    inputs: []\n    steps: ["true"]\n'})
    const port = await closedPort()
    const result = await orca(['run', '--no-cache', '--output', 'plain'], {cwd: dir, env: {...NEUTRAL_ENV, DOCKER_HOST: `ssh://nobody@127.0.0.1:${port}`}})
    // The ssh transport was loaded and tried the port: an unreachable engine (exit 3), not a missing module.
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toContain(`cannot reach the Docker engine: connect ECONNREFUSED 127.0.0.1:${port}`)
    expect(result.stderr).toContain(`tried ssh://nobody@127.0.0.1:${port} (from DOCKER_HOST)`)
    expect(result.stderr).not.toContain('Cannot find module')
  })
})
