import {describe, expect, it} from 'vitest'

import {DamagedBlobError} from '../../../../src/engine/artifacts/blobs.js'
import {joinPack, PACK_FILE_MAX, PACK_MAX_BYTES, PACK_MIN_FILES, packOf, splitPack} from '../../../../src/engine/cache/remote/pack.js'

const ref = (n: number, size: number): {sha256: string; size: number} => ({sha256: n.toString(16).padStart(64, '0'), size})

describe('packOf', () => {
  it('takes the small files once each, ordered by digest, and names the pack by that list whatever order they came in', () => {
    const files = [ref(9, 10), ref(3, 20), ref(3, 20), ref(5, PACK_FILE_MAX + 1), ...Array.from({length: PACK_MIN_FILES}, (_, i) => ref(100 + i, 1))]
    const pack = packOf(files)!
    expect(pack.members.map((m) => m.sha256)).toEqual([...pack.members.map((m) => m.sha256)].sort())
    expect(pack.members.some((m) => m.size > PACK_FILE_MAX)).toBe(false)
    expect(pack.members).toHaveLength(2 + PACK_MIN_FILES)
    expect(pack.bytes).toBe(30 + PACK_MIN_FILES)
    expect(packOf([...files].reverse())!.id).toBe(pack.id)
    expect(packOf(files.slice(1))!.id).not.toBe(pack.id)
  })

  it('makes no pack of too few small files, and stops before PACK_MAX_BYTES', () => {
    expect(packOf(Array.from({length: PACK_MIN_FILES - 1}, (_, i) => ref(i, 1)))).toBeUndefined()
    const full = Array.from({length: Math.ceil(PACK_MAX_BYTES / PACK_FILE_MAX) + 4}, (_, i) => ref(i, PACK_FILE_MAX))
    const pack = packOf(full)!
    expect(pack.bytes).toBeLessThanOrEqual(PACK_MAX_BYTES)
    expect(pack.members.length).toBeLessThan(full.length)
  })
})

describe('joinPack / splitPack', () => {
  it('cuts a pack back into its members, and refuses one of the wrong length', () => {
    const bodies = new Map(Array.from({length: PACK_MIN_FILES}, (_, i) => [ref(i, i + 1).sha256, Buffer.alloc(i + 1, 65 + i)]))
    const pack = packOf(Array.from({length: PACK_MIN_FILES}, (_, i) => ref(i, i + 1)))!
    const joined = joinPack(pack, (m) => bodies.get(m.sha256)!)
    expect(splitPack(pack, joined).map((p) => p.bytes.toString())).toEqual(pack.members.map((m) => bodies.get(m.sha256)!.toString()))
    expect(() => splitPack(pack, joined.subarray(1))).toThrow(DamagedBlobError)
  })
})
