import {spawn} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, ORCA_BIN, projectsPerTest} from './cli.js'

const project = projectsPerTest()

/** `orca ARGS` with TEXT piped to its stdin, as a git pre-push hook gets its refs. */
function orcaWithStdin(args: string[], cwd: string, text: string): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ORCA_BIN, ...args], {cwd, env: {...process.env, ...NEUTRAL_ENV, NO_COLOR: '1'}, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
    child.stdin.end(text)
  })
}

describe('orca run reads its targets from argv only', () => {
  it.each([
    ['the fast start', ['run', '--dry-run']],
    ['oclif', ['run', '--dry-run', '-j1']],
  ])('through %s, piped stdin is not a target', async (_path, args) => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  a:\n    steps: ["true"]\n  b:\n    steps: ["true"]\n'})
    const result = await orcaWithStdin(args, dir, 'b\n')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^a\s+busybox:1\.36\s/m)
    expect(result.stdout).toMatch(/^b\s+busybox:1\.36\s/m)
  })
})
