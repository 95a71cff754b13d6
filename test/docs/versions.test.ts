import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../../scripts/gen-docs.mjs'
import {versionedFiles, versionMentions, withVersion} from '../../scripts/sync-version.mjs'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}

describe('the orca version the docs and hook examples name', () => {
  it('is the version in package.json (npm version runs scripts/sync-version.mjs)', () => {
    const other = versionedFiles().flatMap((file) =>
      versionMentions(readFileSync(join(ROOT, file), 'utf8'))
        .filter((m) => m.version !== pkg.version)
        .map((m) => `${file}:${m.line} names ${m.version}`),
    )
    expect(other, 'run `node scripts/sync-version.mjs`').toEqual([])
    // Not vacuous: the install instructions name it.
    expect(versionMentions(readFileSync(join(ROOT, 'docs/getting-started.md'), 'utf8')).length).toBeGreaterThan(2)
  })

  it('is found and replaced in package specs and pre-commit revs, and nowhere else', () => {
    const text = 'npm install -g orca-runner@0.1.0\n  rev: v0.1.0\nnode:20-bookworm, tar-fs@2.1.4, orca-runner@1.2.3-rc.1/schemas'
    expect(versionMentions(text)).toEqual([
      {version: '0.1.0', line: 1},
      {version: '0.1.0', line: 2},
      {version: '1.2.3-rc.1', line: 3},
    ])
    expect(withVersion(text, '2.0.0')).toBe('npm install -g orca-runner@2.0.0\n  rev: v2.0.0\nnode:20-bookworm, tar-fs@2.1.4, orca-runner@2.0.0/schemas')
  })
})
