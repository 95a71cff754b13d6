import {createHash} from 'node:crypto'
import {spawn, spawnSync} from 'node:child_process'
import {lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {afterEach, describe, expect, it, vi} from 'vitest'

import {BlobStore} from '../../src/engine/artifacts/blobs.js'
import type {ArtifactEntry} from '../../src/engine/artifacts/manifest.js'
import {Workspaces} from '../../src/server/workspaces.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-workspaces-'))
  dirs.push(dir)
  return dir
}

/** Every entry under `dir`: files with mode and content, links with their target, folders only when empty. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (at: string): void => {
    const names = readdirSync(at)
    if (names.length === 0 && at !== dir) out[relative(dir, at)] = 'empty folder'
    for (const name of names) {
      const file = join(at, name)
      const stat = lstatSync(file)
      if (stat.isSymbolicLink()) out[relative(dir, file)] = `-> ${readlinkSync(file)}`
      else if (stat.isDirectory()) walk(file)
      else out[relative(dir, file)] = `${(stat.mode & 0o777).toString(8)} ${readFileSync(file, 'utf8')}`
    }
  }
  walk(dir)
  return out
}

describe('Workspaces: a run folder laid over the previous one', () => {
  it('holds the same files as a fresh layout of the tree, whatever the previous tree held', () => {
    const blobs = new BlobStore(join(temp(), 'blobs'), join(temp(), 'tmp'))
    const file = (path: string, text: string, mode = 0o644): ArtifactEntry => {
      const {sha256} = blobs.putBytes(Buffer.from(text), (mode & 0o111) !== 0)
      expect(sha256).toBe(createHash('sha256').update(text).digest('hex'))
      return {path, type: 'file', mode, size: Buffer.byteLength(text), sha256}
    }
    const before: ArtifactEntry[] = [
      file('a', 'a folder next time\n'),
      file('b/c.txt', 'c\n'),
      file('b/gone.txt', 'gone\n'),
      {path: 'link', type: 'symlink', target: 'b/c.txt'},
      file('mode.sh', 'echo\n', 0o644),
      file('same.txt', 'same\n'),
      file('x/y/z.txt', 'z\n'),
    ]
    const after: ArtifactEntry[] = [
      file('a/inside.txt', 'now a file in a folder\n'),
      file('b', 'b is a file now\n'),
      file('link/real.txt', 'the link is a folder now\n'),
      file('mode.sh', 'echo\n', 0o755),
      file('new.txt', 'new\n'),
      file('same.txt', 'same\n'),
      {path: 'x/y/z.txt', type: 'symlink', target: '../../same.txt'},
    ]
    const reused = new Workspaces(temp())
    const first = reused.take(before, blobs)
    reused.give(first)
    const second = reused.take(after, blobs)
    // The same folder, laid over.
    expect(second).toBe(first)
    const fresh = new Workspaces(temp()).take(after, blobs)
    expect(contents(second)).toEqual(contents(fresh))
    expect(contents(second)['mode.sh']).toBe('755 echo\n')
    expect(contents(second)['x/y/z.txt']).toBe('-> ../../same.txt')
  })

  it('keeps at most two idle folders, and none once closed', async () => {
    const root = temp()
    const blobs = new BlobStore(join(temp(), 'blobs'), join(temp(), 'tmp'))
    const workspaces = new Workspaces(root)
    const taken = [workspaces.take([], blobs), workspaces.take([], blobs), workspaces.take([], blobs)]
    for (const dir of taken) workspaces.give(dir)
    // The third folder is removed in the background (give does not wait): wait for it, however loaded the machine.
    await vi.waitFor(() => expect(readdirSync(root)).toHaveLength(2), {timeout: 10_000, interval: 20})
    await workspaces.close()
    expect(readdirSync(root)).toEqual([])
  })
  it("removes only dead servers' folders: another live server's, even one it is still laying out, stays", async () => {
    const root = temp()
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {stdio: 'ignore'})
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!
      const names = [`${live.pid}-0a1b2c`, `.${live.pid}-0a1b2c.partial-Xy12Zq`, `${dead}-3d4e5f`, `.${dead}-3d4e5f.partial-Ab34Cd`, 'not-a-workspace']
      for (const name of names) mkdirSync(join(root, name, 'src'), {recursive: true})
      new Workspaces(root)
      expect(readdirSync(root).sort()).toEqual([`${live.pid}-0a1b2c`, `.${live.pid}-0a1b2c.partial-Xy12Zq`, 'not-a-workspace'].sort())
    } finally {
      live.kill()
    }
  })
})
