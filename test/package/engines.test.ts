import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import semver from 'semver'
import {describe, expect, it} from 'vitest'

const root = join(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {engines: {node: string}}
type Locked = {version?: string; dev?: boolean; optional?: boolean; engines?: {node?: string} | string[]}
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {packages: Record<string, Locked>}

/** The locked packages whose declared Node range leaves out some of `range` (`dev` picks the tree). */
function narrowerThan(range: string, dev: boolean): string[] {
  const out: string[] = []
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || Boolean(entry.dev) !== dev) continue
    const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node
    if (node && !semver.subset(range, node)) out.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${node}`)
  }
  return out
}

describe('the Node.js versions orca supports (package.json engines)', () => {
  it('every package orca installs with supports all of them, so users see no engine warning', () => {
    expect(narrowerThan(pkg.engines.node, false)).toEqual([])
  })

  it('the development tools support the Node.js running this test (CI runs it on each major it tests)', () => {
    expect(semver.satisfies(process.version, pkg.engines.node), `${process.version} is outside engines ${pkg.engines.node}`).toBe(true)
    expect(narrowerThan(process.version.slice(1), true)).toEqual([])
  })

  it('notices a dependency that wants a newer Node.js (the check is not vacuous)', () => {
    expect(semver.subset('^20.11.0 || >=22', '>=22')).toBe(false)
    expect(semver.subset('^20.11.0 || >=22', '18 || 20 || >=22')).toBe(true)
  })
})
