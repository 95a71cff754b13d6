import {existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {BlobStore} from '../../../../src/engine/artifacts/blobs.js'
import type {ArtifactEntry} from '../../../../src/engine/artifacts/manifest.js'
import {findHostLeaks} from '../../../../src/engine/executor/host/leaks.js'
import {layOutWorkspace, readWorkMarker, WorkFolder, WORK_MARKER} from '../../../../src/engine/executor/host/work-folder.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-host-work-'))
  dirs.push(dir)
  return dir
}

function fileArtifact(blobs: BlobStore, path: string, text: string, mode = 0o644): ArtifactEntry {
  const ref = blobs.putBytes(Buffer.from(text), (mode & 0o111) !== 0)
  return {path, type: 'file', mode, size: ref.size, sha256: ref.sha256} as ArtifactEntry
}

describe('a host job workspace', () => {
  it('holds the input files with their modes and links, then the needs artifacts, a later need winning', () => {
    const root = temp()
    const project = join(root, 'project')
    mkdirSync(join(project, 'src'), {recursive: true})
    writeFileSync(join(project, 'src/run.sh'), 'echo hi\n', {mode: 0o755})
    writeFileSync(join(project, 'src/a.txt'), 'a\n')
    symlinkSync('a.txt', join(project, 'src/link'))
    const blobs = new BlobStore(join(root, 'blobs'), join(root, 'tmp'))
    const workspace = join(root, 'workspace')
    mkdirSync(workspace)
    layOutWorkspace(workspace, project, ['src/run.sh', 'src/a.txt', 'src/link'], [[fileArtifact(blobs, 'dist/out.txt', 'first')], [fileArtifact(blobs, 'dist/out.txt', 'second'), fileArtifact(blobs, 'src/a.txt', 'from a need')]], blobs)
    expect(statSync(join(workspace, 'src/run.sh')).mode & 0o777).toBe(0o755)
    expect(readlinkSync(join(workspace, 'src/link'))).toBe('a.txt')
    expect(readFileSync(join(workspace, 'dist/out.txt'), 'utf8')).toBe('second')
    expect(readFileSync(join(workspace, 'src/a.txt'), 'utf8')).toBe('from a need')
    // The project's own file is untouched: the workspace holds copies.
    expect(readFileSync(join(project, 'src/a.txt'), 'utf8')).toBe('a\n')
  })

  it('never writes through a link an input put on the way: the link is replaced by a folder', () => {
    const root = temp()
    const project = join(root, 'project')
    const outside = join(root, 'outside')
    mkdirSync(project)
    mkdirSync(outside)
    symlinkSync(outside, join(project, 'lib'))
    symlinkSync(join(outside, 'victim'), join(project, 'file-link'))
    const blobs = new BlobStore(join(root, 'blobs'), join(root, 'tmp'))
    const workspace = join(root, 'workspace')
    mkdirSync(workspace)
    layOutWorkspace(workspace, project, ['lib', 'file-link'], [[fileArtifact(blobs, 'lib/x', 'artifact'), fileArtifact(blobs, 'file-link', 'artifact')]], blobs)
    expect(lstatSync(join(workspace, 'lib')).isDirectory()).toBe(true)
    expect(readFileSync(join(workspace, 'lib/x'), 'utf8')).toBe('artifact')
    expect(existsSync(join(outside, 'x'))).toBe(false)
    expect(existsSync(join(outside, 'victim'))).toBe(false)
  })

  it('refuses paths that leave it', () => {
    const root = temp()
    const blobs = new BlobStore(join(root, 'blobs'), join(root, 'tmp'))
    mkdirSync(join(root, 'workspace'))
    expect(() => layOutWorkspace(join(root, 'workspace'), root, [], [[fileArtifact(blobs, '../escape', 'x')]], blobs)).toThrow('leaves the job\'s folder')
    expect(existsSync(join(root, 'escape'))).toBe(false)
  })
})

describe('host work folders as leaks', () => {
  const runId = '20261129T120000000Z-abcdef'

  it('are the marked, unkept folders of runs that are not alive, and nothing else', () => {
    const runs = temp()
    const leaked = WorkFolder.create(join(runs, runId, 'host', 'build'), runId, 'build')
    const kept = WorkFolder.create(join(runs, runId, 'host', 'kept'), runId, 'kept')
    kept.keep()
    // A folder without orca's marker, or whose marker names another job, is not orca's to remove.
    mkdirSync(join(runs, runId, 'host', 'stranger'), {recursive: true})
    WorkFolder.create(join(runs, runId, 'host', 'renamed'), runId, 'other')
    expect(readWorkMarker(leaked.dir)).toMatchObject({runId, job: 'build', groups: []})
    expect(existsSync(join(leaked.dir, WORK_MARKER))).toBe(true)

    expect(findHostLeaks(runs, 'host', [runId], () => false).map((l) => l.job)).toEqual(['build'])
    expect(findHostLeaks(runs, 'host', [runId], () => true)).toEqual([])
  })
})
