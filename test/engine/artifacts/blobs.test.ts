import {createHash} from 'node:crypto'
import {chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {BlobStore, DamagedBlobError, UnsafeStoreError} from '../../../src/engine/artifacts/blobs.js'

const dirs: string[] = []
function tempDir(base = tmpdir()): string {
  const dir = mkdtempSync(join(base, 'orca-blobs-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

const sha = (text: string): string => createHash('sha256').update(text).digest('hex')
/** A store as one run opens it (each run has its own: what it wrote or checked it trusts). */
const storeIn = (dir: string): BlobStore => new BlobStore(join(dir, 'blobs'), join(dir, 'tmp'))

describe('BlobStore', () => {
  it('stores content once under its digest, read-only, and leaves an unchanged blob as it is', () => {
    const dir = tempDir()
    const ref = storeIn(dir).putBytes(Buffer.from('same\n'))
    expect(ref).toEqual({sha256: sha('same\n'), size: 5})
    const file = storeIn(dir).path(ref.sha256)
    const inode = statSync(file).ino
    expect(statSync(file).mode & 0o777).toBe(0o444)
    expect(storeIn(dir).putBytes(Buffer.from('same\n'))).toEqual(ref)
    expect(statSync(file).ino).toBe(inode)
    expect(readdirSync(join(dir, 'tmp'))).toEqual([])
  })

  it('replaces, never reuses, a blob whose bytes were changed (through a hard link, say)', () => {
    const dir = tempDir()
    const ref = storeIn(dir).putBytes(Buffer.from('genuine'))
    const file = storeIn(dir).path(ref.sha256)
    chmodSync(file, 0o644)
    writeFileSync(file, 'forged!')
    expect(() => storeIn(dir).verify(ref)).toThrow(DamagedBlobError)
    storeIn(dir).putBytes(Buffer.from('genuine'))
    expect(readFileSync(file, 'utf8')).toBe('genuine')
    expect(() => storeIn(dir).verify(ref)).not.toThrow()
  })

  it('trusts within one store what it wrote or checked, and reads it again in the next', () => {
    const dir = tempDir()
    const store = storeIn(dir)
    const ref = store.putBytes(Buffer.from('genuine'))
    const file = store.path(ref.sha256)
    chmodSync(file, 0o644)
    writeFileSync(file, 'forged!')
    expect(() => store.verify(ref)).not.toThrow()
    expect(() => storeIn(dir).verify(ref)).toThrow(/changed after it was stored/)
  })

  it('links content into place, and copies it where the filesystem cannot link', () => {
    const dir = tempDir()
    const store = storeIn(dir)
    const ref = store.putBytes(Buffer.from('#!/bin/sh\n'), true)
    const linked = join(dir, 'linked')
    store.linkTo(ref, true, linked, 0o755)
    expect(statSync(linked).ino).toBe(statSync(store.path(ref.sha256, true)).ino)
    expect(statSync(linked).mode & 0o777).toBe(0o555)
    if (!existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(dir).dev) return
    const elsewhere = join(tempDir('/dev/shm'), 'copied')
    store.linkTo(ref, true, elsewhere, 0o755)
    expect(statSync(elsewhere).nlink).toBe(1)
    expect(statSync(elsewhere).mode & 0o777).toBe(0o755)
    expect(readFileSync(elsewhere, 'utf8')).toBe('#!/bin/sh\n')
  })

  it('never reads through a folder swapped for a link, and makes it a real folder again when it writes', () => {
    const dir = tempDir()
    const ref = storeIn(dir).putBytes(Buffer.from('content'))
    const shard = dirname(storeIn(dir).path(ref.sha256))
    const elsewhere = join(tempDir(), 'shard')
    renameSync(shard, elsewhere)
    symlinkSync(elsewhere, shard)
    expect(() => storeIn(dir).verify(ref)).toThrow(UnsafeStoreError)
    storeIn(dir).putBytes(Buffer.from('content'))
    expect(lstatSync(shard).isDirectory()).toBe(true)
    expect(readdirSync(elsewhere)).toEqual([ref.sha256])
    expect(() => storeIn(dir).verify(ref)).not.toThrow()
  })

  it('refuses to link a blob that was swapped for a link (link() would copy the link itself)', () => {
    const dir = tempDir()
    const ref = storeIn(dir).putBytes(Buffer.from('content'))
    const file = storeIn(dir).path(ref.sha256)
    rmSync(file)
    mkdirSync(join(dir, 'host'))
    writeFileSync(join(dir, 'host/secret'), 'content')
    symlinkSync(join(dir, 'host/secret'), file)
    expect(() => storeIn(dir).linkTo(ref, false, join(dir, 'out'), 0o644)).toThrow(DamagedBlobError)
    expect(existsSync(join(dir, 'out'))).toBe(false)
  })
})

describe('BlobStore: local packs', () => {
  const packedStoreIn = (dir: string): BlobStore => new BlobStore(join(dir, 'blobs'), join(dir, 'tmp'), join(dir, 'packs'))
  const member = (text: string) => ({ref: {sha256: sha(text), size: Buffer.byteLength(text)}, bytes: Buffer.from(text)})

  it('keeps many blobs in one file and gives each out as a blob of its own, with its mode, when first read', () => {
    const dir = tempDir()
    const members = Array.from({length: 50}, (_, i) => member(`small ${i}\n`))
    packedStoreIn(dir).putPack(members)
    expect(readdirSync(join(dir, 'packs'))).toHaveLength(1)
    expect(existsSync(join(dir, 'blobs'))).toBe(false)
    // A later run's store finds the pack on disk.
    const store = packedStoreIn(dir)
    expect(members.every((m) => store.has(m.ref))).toBe(true)
    expect(store.has({sha256: sha('not there'), size: 9})).toBe(false)
    expect(store.readVerified(members[3]!.ref).toString()).toBe('small 3\n')
    // Linked while only the pack holds it: a copy with the mode a link to its blob has (read-only).
    const target = join(tempDir(), 'tool')
    store.linkTo(members[4]!.ref, true, target, 0o755)
    expect(readFileSync(target, 'utf8')).toBe('small 4\n')
    expect(statSync(target).mode & 0o777).toBe(0o555)
    const plain = join(tempDir(), 'notes')
    store.linkTo(members[6]!.ref, false, plain, 0o644)
    expect(readFileSync(plain, 'utf8')).toBe('small 6\n')
    expect(statSync(plain).mode & 0o777).toBe(0o444)
    expect(readFileSync(store.pathFor(members[5]!.ref), 'utf8')).toBe('small 5\n')
    // Only what was asked for by path became a blob file: a read or a link is served from the pack.
    expect(readdirSync(join(dir, 'blobs')).flatMap((shard) => readdirSync(join(dir, 'blobs', shard)))).toHaveLength(1)
    expect(existsSync(store.path(members[3]!.ref.sha256))).toBe(false)
    expect(existsSync(store.path(members[4]!.ref.sha256, true))).toBe(false)
    // Once a member has a blob file, a link is a link to it, with the same content and mode as the copy.
    const linked = join(tempDir(), 'linked')
    store.linkTo(members[5]!.ref, false, linked, 0o644)
    expect(statSync(linked).ino).toBe(statSync(store.pathFor(members[5]!.ref)).ino)
    expect(statSync(linked).mode & 0o777).toBe(statSync(plain).mode & 0o777)
  })

  it('refuses a member that does not match its digest, and a pack changed on disk gives DamagedBlobError when read', () => {
    const dir = tempDir()
    const bad = {...member('genuine'), bytes: Buffer.from('forged!')}
    expect(() => packedStoreIn(dir).putPack([member('a'), bad])).toThrow(DamagedBlobError)
    const members = [member('one\n'), member('two\n')]
    packedStoreIn(dir).putPack(members)
    const file = join(dir, 'packs', readdirSync(join(dir, 'packs'))[0]!)
    const bytes = readFileSync(file)
    bytes[bytes.length - 2] = 'X'.charCodeAt(0)
    chmodSync(file, 0o644)
    writeFileSync(file, bytes)
    expect(() => packedStoreIn(dir).readVerified(members[1]!.ref)).toThrow(DamagedBlobError)
    // Nor is it copied anywhere by a link: nothing is written.
    const target = join(tempDir(), 'two')
    expect(() => packedStoreIn(dir).linkTo(members[1]!.ref, false, target, 0o644)).toThrow(DamagedBlobError)
    expect(existsSync(target)).toBe(false)
    expect(existsSync(packedStoreIn(dir).path(members[1]!.ref.sha256))).toBe(false)
    // A pack whose list does not add up to its size is no pack at all.
    writeFileSync(file, bytes.subarray(0, bytes.length - 1))
    expect(packedStoreIn(dir).has(members[0]!.ref)).toBe(false)
    expect(packedStoreIn(dir).packFiles()).toEqual([{file, members: []}])
  })
})
