import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {initProject} from '../../../src/engine/init/init.js'
import {loadPipeline} from '../../../src/engine/pipeline/load.js'

const dirs: string[] = []
function folder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-init-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})
const defaults = {timeoutMs: 60_000, cleanup: 'always_remove'} as const

describe('initProject', () => {
  it('writes a jobs.yml that loads and an orca.config.yml, and says what to run next', async () => {
    const dir = folder({'package.json': JSON.stringify({scripts: {test: 'node test.js'}})})
    const result = await initProject({dir})
    expect(result.written).toEqual(['jobs.yml', 'orca.config.yml'])
    expect(result.jobs).toEqual(['install', 'test', 'ci'])
    expect(result.next).toBe('orca run ci')
    expect(result.notes).toContain('add .orca/ to .gitignore: it holds run records and the cache')
    const pipeline = await loadPipeline('jobs.yml', {cwd: dir, defaults})
    expect(pipeline.jobs.get('install')!.steps[0]!.run).toBe('npm install')
    // Written through temporary files that are all gone.
    expect(readdirSync(dir).sort()).toEqual(['jobs.yml', 'orca.config.yml', 'package.json'])
  })

  it('refuses an --image Docker would refuse (or one that would break the YAML) and writes nothing', async () => {
    const dir = folder()
    for (const image of ['foo//bar', 'node:20\n  evil: true', 'Node:20']) {
      await expect(initProject({dir, image})).rejects.toMatchObject({kind: 'config', message: expect.stringMatching(/^--image: invalid image reference/)})
    }
    expect(readdirSync(dir)).toEqual([])
  })

  it('refuses to overwrite, listing every file in the way, and writes nothing', async () => {
    const dir = folder({'jobs.yml': 'mine', '.gitignore': '.orca/\n'})
    mkdirSync(join(dir, '.github/workflows'), {recursive: true})
    writeFileSync(join(dir, '.github/workflows/orca.yml'), 'mine too')
    await expect(initProject({dir})).rejects.toMatchObject({kind: 'usage', message: 'not overwriting jobs.yml'})
    // jobs.yml is kept when only CI files are asked for; the workflow in the way stops everything.
    await expect(initProject({dir, ci: ['github', 'gitlab']})).rejects.toMatchObject({message: 'not overwriting .github/workflows/orca.yml'})
    expect(readFileSync(join(dir, 'jobs.yml'), 'utf8')).toBe('mine')
    expect(existsSync(join(dir, 'orca.config.yml'))).toBe(false)
    expect(existsSync(join(dir, '.gitlab-ci.yml'))).toBe(false)
  })

  it('overwrites with force', async () => {
    const dir = folder({'jobs.yml': 'mine'})
    await initProject({dir, force: true})
    expect(readFileSync(join(dir, 'jobs.yml'), 'utf8')).toContain('hello')
  })

  it('adds CI files next to an existing pipeline without touching it, checking the targets against it', async () => {
    const dir = folder({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  test:\n    steps: ["true"]\n'})
    await expect(initProject({dir, ci: ['gitlab']})).rejects.toMatchObject({message: 'jobs.yml has no job "ci"; its jobs are test'})
    const result = await initProject({dir, ci: ['gitlab'], targets: ['test']})
    expect(result.kept).toEqual(['jobs.yml'])
    expect(result.written).toEqual(['orca.config.yml', '.gitlab-ci.yml'])
    expect(readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8')).toContain('orca run test -f jobs.yml')
  })

  it('refuses a pre-commit hook outside a git repository, politely', async () => {
    const dir = folder()
    await expect(initProject({dir, preCommit: true})).rejects.toMatchObject({kind: 'usage', hint: 'run "git init" first, or leave out --pre-commit'})
    expect(readdirSync(dir)).toEqual([])
  })

  it('installs an executable pre-commit hook in a git repository, and prints the framework snippet', async () => {
    const dir = folder()
    execFileSync('git', ['init', '-q'], {cwd: dir})
    const result = await initProject({dir, preCommit: true})
    expect(result.written).toContain('.git/hooks/pre-commit')
    const hook = join(dir, '.git/hooks/pre-commit')
    expect(statSync(hook).mode & 0o777).toBe(0o755)
    expect(readFileSync(hook, 'utf8')).toContain('orca run ci -f jobs.yml --output plain')
    expect(result.notes.some((n) => n.includes('repo: local'))).toBe(true)
  })

  it('names a custom pipeline file in the next command', async () => {
    const dir = folder()
    const result = await initProject({dir, jobsFile: 'ci/jobs.yml', targets: ['hello']})
    expect(result.next).toBe('orca run hello -f ci/jobs.yml')
    expect(existsSync(join(dir, 'ci/jobs.yml'))).toBe(true)
  })
})
