import {lstatSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {StatIndex} from '../../../src/engine/cache/stat-index.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orca-stat-index-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const HASH_A = 'a'.repeat(64)
// ctime cannot be set back: rows are judged by a clock a minute ahead, as they would be a while later.
const later = (): number => Date.now() + 60_000
const HASH_B = '0123456789abcdef'.repeat(4)

function file(name: string, text: string, ageMs = 3_600_000) {
  writeFileSync(join(dir, name), text)
  const when = new Date(Date.now() - ageMs)
  utimesSync(join(dir, name), when, when)
  return lstatSync(join(dir, name))
}

/** Writes two old files, records them in a saved index, and returns their stats. */
function savedIndex(nameA: string, nameB: string) {
  const a = file(nameA, 'a')
  const b = file(nameB, 'b')
  const index = StatIndex.load(join(dir, 'index'))
  index.set(nameA, a, HASH_A, later())
  index.set(nameB, b, HASH_B, later())
  index.save()
  return {a, b}
}

describe('StatIndex', () => {
  it('keeps rows across save and load, and trusts a row only while the stat is the same', () => {
    const {a, b} = savedIndex('a.txt', 'ünï côdé.txt')

    const loaded = StatIndex.load(join(dir, 'index'))
    expect(loaded.get('a.txt', a)).toBe(HASH_A)
    expect(loaded.get('ünï côdé.txt', b)).toBe(HASH_B)
    expect(loaded.get('a.txt', file('a.txt', 'A'))).toBeUndefined()
    expect(loaded.get('missing.txt', a)).toBeUndefined()
  })

  it('forgets files that no longer exist and files changed too recently to trust', () => {
    const {a} = savedIndex('a.txt', 'b.txt')
    const next = StatIndex.load(join(dir, 'index'))
    const fresh = file('b.txt', 'bb', 0)
    next.set('b.txt', fresh, HASH_A)
    next.save(['b.txt'])
    const last = StatIndex.load(join(dir, 'index'))
    expect(last.get('a.txt', a)).toBeUndefined()
    expect(last.get('b.txt', fresh)).toBeUndefined()
  })

  it('starts empty from a damaged or truncated file', () => {
    const a = file('a.txt', 'a')
    const index = StatIndex.load(join(dir, 'index'))
    index.set('a.txt', a, HASH_A, later())
    index.save()
    const bytes = readFileSync(join(dir, 'index'))
    writeFileSync(join(dir, 'index'), bytes.subarray(0, bytes.length - 40))
    expect(StatIndex.load(join(dir, 'index')).get('a.txt', a)).toBeUndefined()
    writeFileSync(join(dir, 'index'), '{"format":2,"rows":[]}')
    expect(StatIndex.load(join(dir, 'index')).get('a.txt', a)).toBeUndefined()
  })

  it('finds rows in any lookup order after rows were added, replaced and forgotten across saves', () => {
    const names = ['b/z.txt', 'a.txt', 'b.txt', 'b/a.txt', 'Z.txt', 'é.txt', 'a-b.txt']
    const stats = new Map(names.map((name, i) => [name, file(name.replace('/', '_'), String(i))]))
    const first = StatIndex.load(join(dir, 'index'))
    for (const name of names.slice(0, 4)) first.set(name, stats.get(name)!, HASH_A, later())
    first.save()
    const second = StatIndex.load(join(dir, 'index'))
    for (const name of names.slice(3)) second.set(name, stats.get(name)!, HASH_B, later())
    // Not sorted, and without b.txt: its row goes.
    second.save(names.filter((n) => n !== 'b.txt').reverse())

    const loaded = StatIndex.load(join(dir, 'index'))
    for (const name of [...names].reverse()) {
      const expected = name === 'b.txt' ? undefined : names.indexOf(name) < 3 ? HASH_A : HASH_B
      expect([name, loaded.get(name, stats.get(name)!)]).toEqual([name, expected])
    }
    expect(loaded.get('b/m.txt', stats.get('b/a.txt')!)).toBeUndefined()
  })

  it('names each written file with a new generation', () => {
    const a = file('a.txt', 'a')
    const index = StatIndex.load(join(dir, 'index'))
    expect(index.generation).toBe('')
    index.set('a.txt', a, HASH_A, later())
    expect(index.save()).toBe(true)
    const first = StatIndex.load(join(dir, 'index'))
    expect(first.generation).toMatch(/^[0-9a-f]{32}$/)
    expect(first.save()).toBe(false)
    expect(StatIndex.load(join(dir, 'index')).generation).toBe(first.generation)
    first.set('a.txt', a, HASH_B, later())
    first.save()
    expect(StatIndex.load(join(dir, 'index')).generation).not.toBe(first.generation)
  })
})

