import {realpathSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {orca} from '../e2e/cli.js'
import {PrivateEngine} from './private-engine.js'
import {docker, labelledContainers, Projects} from './support.js'

const IMAGE = 'busybox:1.36'

// The private engine has no bridge: jobs run without a network.
const PIPELINE = `version: 1
image: ${IMAGE}
jobs:
  sleeper:
    network: none
    cache: false
    volumes: {deps: /deps}
    steps: ["sleep 300"]
`

let engine: PrivateEngine
const projects = new Projects()

beforeAll(async () => {
  engine = await PrivateEngine.create([IMAGE])
})

afterAll(async () => {
  await engine?.destroy()
  projects.removeAll()
})

/** Starts a run of the project on the private engine and SIGKILLs orca once its container exists: a leak. */
async function leak(dir: string): Promise<void> {
  let child: {kill: (signal: NodeJS.Signals) => boolean} | undefined
  const done = orca(['run', '--output', 'plain'], {cwd: dir, env: {DOCKER_HOST: engine.host}, onSpawn: (c) => (child = c)})
  const project = `orca.project-dir=${realpathSync(dir)}`
  for (let i = 0; i < 300 && labelledContainers([project], engine.host).length === 0; i++) await sleep(100)
  child!.kill('SIGKILL')
  expect((await done).signal).toBe('SIGKILL')
  expect(labelledContainers([project], engine.host)).toHaveLength(1)
}

describe('orca clean across projects on an engine of its own', () => {
  it('removes every project’s leaks and volumes with --all-projects, and only its own without', async () => {
    const [one, two, three] = [0, 1, 2].map(() => projects.create({'jobs.yml': PIPELINE}))
    for (const dir of [one!, two!, three!]) await leak(dir)
    const env = {DOCKER_HOST: engine.host}

    const own = await orca(['clean', '--leaks'], {cwd: one!, env})
    expect(own.code, own.stderr).toBe(0)
    expect(labelledContainers([], engine.host)).toHaveLength(2)

    const all = await orca(['clean', '--leaks', '--all-projects'], {cwd: one!, env})
    expect(all.code, all.stderr).toBe(0)
    for (const dir of [two!, three!]) expect(all.stdout).toContain(`project ${realpathSync(dir)})`)
    expect(labelledContainers([], engine.host)).toEqual([])

    // Each project had its own volume for `deps`; --all-projects --volumes takes all three.
    const volumes = (): string[] => docker(['volume', 'ls', '-q', '--filter', 'label=orca.managed=true'], engine.host).split('\n').filter(Boolean)
    expect(volumes()).toHaveLength(3)
    const removed = await orca(['clean', '--volumes', '--all-projects'], {cwd: two!, env})
    expect(removed.code, removed.stderr).toBe(0)
    expect(volumes()).toEqual([])
  })
})
