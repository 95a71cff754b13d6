import {describe, expect, it} from 'vitest'

import {linksOutsideTree} from '../../../src/engine/artifacts/links.js'
import {InvalidManifestError, manifestDigest, parseArtifactManifest, serialiseArtifactManifest, summarise, type ArtifactEntry} from '../../../src/engine/artifacts/manifest.js'

const file = (path: string, body = 'x'): ArtifactEntry => ({path, type: 'file', mode: 0o644, size: body.length, sha256: manifestDigest(body)})
const link = (path: string, target: string): ArtifactEntry => ({path, type: 'symlink', target})

describe('linksOutsideTree', () => {
  it('keeps links that resolve inside the tree, as the kernel would follow them', () => {
    const inside = [
      link('node_modules/.bin/mocha', '../mocha/bin/mocha.js'),
      link('a/b/c', '../../x'),
      link('a/self', '.'),
      link('dangling', 'not/there'),
      link('chain/one', 'two'),
      link('chain/two', '../a/b'),
    ]
    expect(linksOutsideTree(inside)).toEqual([])
  })

  it('reports absolute targets, climbs above the root, loops, and escapes through another link', () => {
    const cases: ArtifactEntry[][] = [
      [link('abs', '/etc/passwd')],
      [link('up', '..')],
      [link('a/b/up', '../../../x')],
      [link('loop1', 'loop2'), link('loop2', 'loop1')],
      // Each target is inside by its text; followed through a/b/top (which is the root), `..` leaves it.
      [link('a/b/top', '../..'), link('c', 'a/b/top/../x')],
      [link('via', 'abs/x'), link('abs', '/tmp')],
    ]
    for (const entries of cases) expect(linksOutsideTree(entries).length, JSON.stringify(entries)).toBeGreaterThan(0)
    expect(linksOutsideTree([link('a/b/top', '../..'), link('c', 'a/b/top/../x')]).map((e) => e.path)).toEqual(['c'])
  })
})

describe('artifact manifests', () => {
  it('serialise to the same bytes for the same entries and read back as written', () => {
    const entries = [file('a.txt'), link('b', 'a.txt'), file('dir/c.bin', 'ccc')]
    const text = serialiseArtifactManifest(entries)
    expect(serialiseArtifactManifest(parseArtifactManifest(text))).toBe(text)
    expect(parseArtifactManifest(text)).toEqual(entries)
    expect(summarise(entries)).toEqual({count: 3, bytes: 4})
    expect(parseArtifactManifest(serialiseArtifactManifest([]))).toEqual([])
  })

  it('refuse anything a restore could be led astray by', () => {
    const bad: Array<[string, unknown]> = [
      ['not JSON', '{'],
      ['another format', {format: 2, files: []}],
      ['a ../ path', {format: 1, files: [file('../x')]}],
      ['an absolute path', {format: 1, files: [file('/x')]}],
      ['an empty segment', {format: 1, files: [file('a//x')]}],
      ['a backslash', {format: 1, files: [file('a\\x')]}],
      ['out of order', {format: 1, files: [file('b'), file('a')]}],
      ['twice', {format: 1, files: [file('a'), file('a')]}],
      ['under a file', {format: 1, files: [file('a'), file('a/b')]}],
      ['under a link', {format: 1, files: [link('a', 'x'), file('a/b')]}],
      ['a setuid mode', {format: 1, files: [{...file('a'), mode: 0o4755}]}],
      ['a bad digest', {format: 1, files: [{...file('a'), sha256: 'abc'}]}],
      ['a negative size', {format: 1, files: [{...file('a'), size: -1}]}],
      ['an unknown type', {format: 1, files: [{path: 'a', type: 'fifo'}]}],
      ['a link out', {format: 1, files: [link('a', '../../etc')]}],
    ]
    for (const [what, value] of bad) {
      expect(() => parseArtifactManifest(typeof value === 'string' ? value : JSON.stringify(value)), what).toThrow(InvalidManifestError)
    }
  })
})
