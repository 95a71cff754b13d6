import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type Docker from 'dockerode'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {connectDocker} from '../../../src/engine/executor/docker/connect.js'
import {LABEL} from '../../../src/engine/executor/docker/container-spec.js'
import {projectIdentity, type ProjectIdentity} from '../../../src/engine/project-identity.js'
import {execute, type ExecuteRequest} from '../../../src/engine/sandbox/execute.js'
import {DEFAULT_EXECUTE_CAPS, resolveLimits, type RequestedLimits} from '../../../src/engine/sandbox/execute-limits.js'

const IMAGE = 'busybox:1.36'
let docker: Docker
let project: ProjectIdentity
let dir: string

beforeAll(async () => {
  docker = (await connectDocker()).docker
  dir = mkdtempSync(join(tmpdir(), 'orca-execute-'))
  project = projectIdentity(dir)
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const run = ({limits, ...request}: Omit<Partial<ExecuteRequest>, 'limits'> & {limits?: RequestedLimits}) =>
  execute({image: IMAGE, ...request, limits: resolveLimits(limits ?? {}, {...DEFAULT_EXECUTE_CAPS, maxTimeoutMs: 20_000})}, {docker, project, maxCollectBytes: 1024})

describe('execute', () => {
  it('runs a snippet with inline files and returns its output, exit code and the files asked for; the container is gone', async () => {
    const result = await run({
      snippet: 'cat in/data.txt; echo oops >&2; tr a-z A-Z < in/data.txt > out.txt; exit 3',
      files: [{path: 'in/data.txt', content: Buffer.from('hello\n')}],
      collect: ['out.txt', 'missing.txt'],
    })
    expect(result).toMatchObject({exitCode: 3, limit: null})
    expect(result.stdout.toString()).toBe('hello\n')
    expect(result.stderr.toString()).toBe('oops\n')
    expect(result.files).toEqual([
      {path: 'out.txt', size: 6, content: Buffer.from('HELLO\n')},
      {path: 'missing.txt', error: 'no such file'},
    ])
    expect(result.durationMs).toBeGreaterThan(0)
    const left = await docker.listContainers({all: true, filters: {label: [`${LABEL.project}=${project.id}`]}})
    expect(left).toEqual([])
  })

  it('runs an argv without a shell in between, and has no network by default', async () => {
    const result = await run({command: ['sh', '-c', 'ip -o link | grep -v " lo" | wc -l; echo "$1"', 'x', 'a b']})
    expect(result.stdout.toString()).toBe('0\na b\n')
  })

  it('reports the timeout when time is up', async () => {
    const result = await run({snippet: 'echo started; sleep 30', limits: {timeoutMs: 1000}})
    expect(result).toMatchObject({limit: 'timeout', exitCode: null})
    expect(result.stdout.toString()).toBe('started\n')
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it('reports memory when the kernel killed a process over the memory limit', async () => {
    // tail keeps a whole line in memory, and /dev/zero has no line end.
    const result = await run({snippet: 'head -c 200m /dev/zero | tail > /dev/null; echo "tail exited $?"', limits: {memoryBytes: 32 * 1024 ** 2}})
    expect(result.limit).toBe('memory')
  })

  it('reports output and stops the program when stdout and stderr pass the cap, keeping what fits', async () => {
    const result = await run({snippet: 'yes', limits: {outputBytes: 10_000}})
    expect(result).toMatchObject({limit: 'output', exitCode: null})
    expect(result.stdout.length).toBe(10_000)
    expect(result.stdout.toString().startsWith('y\ny\n')).toBe(true)
  })

  it('reports pids when the pids limit refused a fork, even though the script went on', async () => {
    const result = await run({snippet: 'for i in $(seq 40); do sleep 1 & done; wait; echo done', limits: {pids: 16}})
    expect(result.limit).toBe('pids')
    expect(result.stderr.toString()).toContain("can't fork")
    expect(result.stderr.toString()).not.toContain('pids-refused')
  })

  it('reports no limit for a program that forks within the limit', async () => {
    const result = await run({snippet: 'for i in 1 2 3; do sleep 0.1 & done; wait; echo ok', limits: {pids: 16}})
    expect(result).toMatchObject({limit: null, exitCode: 0})
    expect(result.stderr.toString()).toBe('')
  })
})
