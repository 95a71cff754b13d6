import {chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/engine/config/load.js'
import {findProject} from '../../../src/engine/config/project.js'
import {ConfigError} from '../../../src/engine/errors.js'

let root: string
const savedXdg = process.env.XDG_CONFIG_HOME

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'orca-project-')))
  // Keep the machine's own ~/.config/orca (if any) out of the config search.
  process.env.XDG_CONFIG_HOME = path.join(root, 'xdg')
})
afterEach(() => {
  rmSync(root, {recursive: true, force: true})
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME
  else process.env.XDG_CONFIG_HOME = savedXdg
})

const write = (rel: string, text = ''): string => {
  const file = path.join(root, rel)
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, text)
  return file
}
const dir = (rel: string): string => {
  mkdirSync(path.join(root, rel), {recursive: true})
  return path.join(root, rel)
}
/** The search as run by the user who owns the test's files, with `root` as the home folder. */
const search = (cwd: string, uid = statSync(root).uid) => findProject({cwd, home: root, uid})

/**
 * Gives `file` an owner that is neither root nor `asUid`, and returns the uid orca then runs as:
 * as root, the file goes to another user; as anyone else, orca runs as another user.
 */
function ownedBySomeoneElse(file: string): number {
  const me = statSync(file).uid
  if (me !== 0) return me + 1
  chownSync(file, 4242, 4242)
  return 0
}

describe('findProject', () => {
  it('takes the working directory when it holds jobs.yml', () => {
    write('app/jobs.yml')
    expect(search(path.join(root, 'app'))).toEqual({dir: path.join(root, 'app'), marker: 'jobs.yml'})
  })

  it('walks up from a subfolder to the nearest folder holding jobs.yml', () => {
    write('repo/jobs.yml')
    write('repo/packages/web/jobs.yml')
    expect(search(dir('repo/src/deep'))).toEqual({dir: path.join(root, 'repo'), marker: 'jobs.yml'})
    expect(search(dir('repo/packages/web/src'))).toEqual({dir: path.join(root, 'repo/packages/web'), marker: 'jobs.yml'})
  })

  it('counts an orca configuration file, and package.json only with an "orca" key', () => {
    write('mono/orca.config.yml', 'concurrency: 2\n')
    write('mono/packages/a/package.json', '{"name": "a"}')
    write('mono/packages/b/package.json', '{"name": "b", "orca": {"concurrency": 1}}')
    write('mono/packages/c/package.json', '{ not json')
    expect(search(dir('mono/packages/a/src'))).toEqual({dir: path.join(root, 'mono'), marker: 'orca.config.yml'})
    expect(search(dir('mono/packages/b/src'))).toEqual({dir: path.join(root, 'mono/packages/b'), marker: 'package.json'})
    expect(search(dir('mono/packages/c'))).toEqual({dir: path.join(root, 'mono'), marker: 'orca.config.yml'})
  })

  it('does not leave the git work tree it starts in', () => {
    write('outer/jobs.yml')
    dir('outer/checkout/.git')
    const cwd = dir('outer/checkout/src')
    expect(search(cwd)).toEqual({dir: cwd, stoppedAt: {dir: path.join(root, 'outer/checkout'), reason: 'git'}})
    // A jobs.yml at the top of the work tree is still found.
    write('outer/checkout/jobs.yml')
    expect(search(cwd)).toEqual({dir: path.join(root, 'outer/checkout'), marker: 'jobs.yml'})
  })

  it('stops at the home folder', () => {
    const home = dir('home/me')
    write('home/jobs.yml')
    const cwd = dir('home/me/scratch')
    expect(findProject({cwd, home, uid: undefined})).toEqual({dir: cwd, stoppedAt: {dir: home, reason: 'home'}})
  })

  it('refuses a jobs.yml above the working directory that belongs to another user', () => {
    const file = write('shared/jobs.yml')
    const uid = ownedBySomeoneElse(file)
    const cwd = dir('shared/mine')
    expect(search(cwd, uid)).toEqual({dir: cwd, refused: {file, uid: statSync(file).uid}})
    // The working directory's own file is the user's choice, whoever owns it.
    expect(search(path.join(root, 'shared'), uid)).toEqual({dir: path.join(root, 'shared'), marker: 'jobs.yml'})
  })
})

describe('loadConfig from a project folder', () => {
  it('searches from the project folder and puts .orca/ there, while env paths stay relative to the working directory', async () => {
    write('repo/jobs.yml')
    const cwd = dir('repo/src/deep')
    const config = await loadConfig({cwd, projectDir: path.join(root, 'repo'), env: {ORCA_CACHE_DIR: 'here-cache'}})
    expect(config.runsDir).toBe(path.join(root, 'repo/.orca/runs'))
    expect(config.cacheDir).toBe(path.join(cwd, 'here-cache'))
  })

  it("keeps .orca/ next to a monorepo's config file above the project", async () => {
    write('mono/orca.config.yml', 'concurrency: 3\n')
    write('mono/packages/a/jobs.yml')
    const config = await loadConfig({cwd: dir('mono/packages/a/src'), projectDir: path.join(root, 'mono/packages/a'), env: {}})
    expect(config.concurrency).toBe(3)
    expect(config.runsDir).toBe(path.join(root, 'mono/.orca/runs'))
  })

  it('refuses a config file above the project that belongs to another user', async () => {
    const file = write('shared/orca.config.yml', 'concurrency: 3\n')
    const uid = ownedBySomeoneElse(file)
    write('shared/app/jobs.yml')
    const error = await loadConfig({cwd: path.join(root, 'shared/app'), projectDir: path.join(root, 'shared/app'), env: {}, uid}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(`${file}: belongs to another user (uid ${statSync(file).uid}); orca does not take its configuration from files it did not get from you`)
  })
})
