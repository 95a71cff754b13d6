import {execFile} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {afterEach, describe, expect, it} from 'vitest'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** A checkout of the repository that was never built: no dist/, no oclif.manifest.json. */
function unbuiltCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-dev-entry-'))
  dirs.push(dir)
  for (const path of ['bin', 'src', 'schemas', 'templates', 'package.json', 'tsconfig.json']) cpSync(join(REPO, path), join(dir, path), {recursive: true})
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

describe('bin/dev.js', () => {
  it('runs orca from the TypeScript sources of a checkout that was never built', {timeout: 60_000}, async () => {
    const checkout = unbuiltCheckout()
    writeFileSync(join(checkout, 'jobs.yml'), 'version: 1\njobs:\n  hello:\n    image: busybox:1.36\n    steps: ["echo hi"]\n')
    const run = (args: string[]) => promisify(execFile)(process.execPath, [join(checkout, 'bin/dev.js'), ...args], {cwd: checkout, env: {...process.env, NO_COLOR: '1'}})

    expect((await run(['validate'])).stdout).toBe('jobs.yml: 1 job, 0 edges, valid\n')
    const help = (await run(['--help'])).stdout
    expect(help).toMatch(/COMMANDS\n {2}artifacts .*[\s\S]* {2}clean .*[\s\S]* {2}validate /)
    // The topic says what its commands are for, not what the first of them does.
    expect(help).toMatch(/TOPICS\n {2}cache +Inspect and bound the job cache: list its entries,/)
    expect(existsSync(join(checkout, 'dist'))).toBe(false)
  })
})
