import {createHash} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {BlobStore} from '../../../src/engine/artifacts/blobs.js'
import type {ArtifactEntry} from '../../../src/engine/artifacts/manifest.js'
import {materialise} from '../../../src/engine/artifacts/materialise.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** Each path with its content's digest (files) or target (links), and whether it is executable. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    const file = join(entry.parentPath, entry.name)
    if (entry.isSymbolicLink()) out[relative(dir, file)] = `-> ${readlinkSync(file)}`
    else if (entry.isFile()) out[relative(dir, file)] = `${createHash('sha256').update(readFileSync(file)).digest('hex')} x=${(statSync(file).mode & 0o111) !== 0}`
  }
  return out
}

describe('materialise', () => {
  it('gives the same files as hard links to the store as it does as checked copies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orca-materialise-'))
    dirs.push(dir)
    const blobs = new BlobStore(join(dir, 'blobs'), join(dir, 'tmp'))
    const put = (path: string, body: string, mode = 0o644): ArtifactEntry => ({path, type: 'file', mode, ...blobs.putBytes(Buffer.from(body), (mode & 0o111) !== 0)})
    const entries: ArtifactEntry[] = [
      put('node_modules/.bin-data.json', '{}'),
      {path: 'node_modules/.bin/tool', type: 'symlink', target: '../tool/cli.js'},
      put('node_modules/tool/cli.js', '#!/bin/sh\necho tool\n', 0o755),
      put('node_modules/tool/package.json', '{"name":"tool"}'),
      put('same-as-package.json', '{"name":"tool"}'),
    ]
    materialise(entries, blobs, join(dir, 'linked'), {link: true})
    materialise(entries, blobs, join(dir, 'copied'))
    expect(tree(join(dir, 'linked'))).toEqual(tree(join(dir, 'copied')))
    expect(Object.keys(tree(join(dir, 'linked')))).toHaveLength(5)
    // Links share the store's storage, read-only; copies are files of their own, with the job's modes.
    expect(statSync(join(dir, 'linked/node_modules/tool/cli.js')).nlink).toBe(2)
    expect(statSync(join(dir, 'linked/node_modules/tool/cli.js')).mode & 0o777).toBe(0o555)
    expect(statSync(join(dir, 'copied/node_modules/tool/cli.js')).mode & 0o777).toBe(0o755)
    expect(statSync(join(dir, 'copied/same-as-package.json')).nlink).toBe(1)
  })
})
