import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach} from 'vitest'

import {BlobStore} from '../../src/engine/artifacts/blobs.js'
import type {ManifestLocation} from '../../src/engine/run/artifacts.js'

/** What RunOptions needs to place artifacts: a run folder of its own and a blob store. */
export interface RunFolders {
  dir: string
  blobs: BlobStore
  artifactsDir(job: string): string
  artifactManifest(job: string): ManifestLocation
}

/** Throwaway run folders for the tests of one file, removed after each test. */
export function runFoldersPerTest(): () => RunFolders {
  const made: string[] = []
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true})
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'orca-run-'))
    made.push(dir)
    return {
      dir,
      blobs: new BlobStore(join(dir, 'cache/blobs'), join(dir, 'cache/tmp')),
      artifactsDir: (job) => join(dir, 'artifacts', job),
      artifactManifest: (job) => ({path: join(dir, 'artifacts', `${job}.json`), name: `artifacts/${job}.json`}),
    }
  }
}
