import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {mayHaveConfigFile} from '../../../src/engine/config/candidates.js'
import {CONFIG_SEARCH_PLACES, loadConfig} from '../../../src/engine/config/load.js'

let root: string
let cwd: string
const savedXdg = process.env.XDG_CONFIG_HOME

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'orca-config-search-'))
  cwd = path.join(root, 'repo/packages/app')
  mkdirSync(cwd, {recursive: true})
  // Keep the machine's own ~/.config/orca (if any) out of the search.
  process.env.XDG_CONFIG_HOME = path.join(root, 'xdg')
})
afterEach(() => {
  rmSync(root, {recursive: true, force: true})
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME
  else process.env.XDG_CONFIG_HOME = savedXdg
})

const write = (rel: string, text: string): void => {
  mkdirSync(path.dirname(path.join(root, rel)), {recursive: true})
  writeFileSync(path.join(root, rel), text)
}
const mayHave = (): boolean =>
  mayHaveConfigFile({cwd, stopDir: root, searchPlaces: CONFIG_SEARCH_PLACES, home: path.join(root, 'home'), env: process.env, processCwd: process.cwd()})

describe('mayHaveConfigFile (the check before cosmiconfig is loaded)', () => {
  it('says no for a project without any config file, even with package.json files on the way', () => {
    write('repo/package.json', '{"name": "repo"}')
    write('repo/packages/app/package.json', '{"name": "app"}')
    expect(mayHave()).toBe(false)
  })

  it.each([
    ['orca.config.yml in the start directory', 'repo/packages/app/orca.config.yml'],
    ['orca.config.yaml two levels up', 'repo/orca.config.yaml'],
    ['.orcarc at the top', '.orcarc'],
    ['.orcarc.json', 'repo/.orcarc.json'],
    ['.orcarc.yml', 'repo/packages/.orcarc.yml'],
    ['package.json with an "orca" key', 'repo/package.json'],
    ["the user's global config", 'xdg/orca/config.yml'],
  ])('never hides a file cosmiconfig finds: %s', async (_label, rel) => {
    write(rel, rel.endsWith('package.json') ? '{"name": "repo", "orca": {"concurrency": 3}}' : rel.endsWith('.json') ? '{"concurrency": 3}' : 'concurrency: 3\n')
    expect(mayHave()).toBe(true)
    // What loadConfig then reads is cosmiconfig's answer: the file is found and applied.
    const config = await loadConfig({cwd, env: {}})
    expect(config.file).toBe(path.join(root, rel))
    expect(config.concurrency).toBe(3)
    // Runs go next to a project's config file; a global one (shared by every project) moves nothing.
    expect(config.runsDir).toBe(path.join(rel.startsWith('xdg/') ? cwd : path.dirname(path.join(root, rel)), '.orca/runs'))
  })

  it('says yes for a package.json it cannot parse (cosmiconfig will say what is wrong)', () => {
    write('repo/package.json', '{"orca": ')
    expect(mayHave()).toBe(true)
  })
})
