import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import * as path from 'node:path'

import dockerignoreModule, {type Ignore} from '@balena/dockerignore'

import {InputHasher, type HashedInput} from './hash-inputs.js'
import {canonicalJson} from './format.js'
import {OrcaError} from '../errors.js'
import type {ImageBuild, Job} from '../pipeline/types.js'

// The package is CommonJS (`module.exports = factory`) but its types declare a default export.
const dockerignore = ((dockerignoreModule as unknown as {default?: unknown}).default ?? dockerignoreModule) as unknown as () => Ignore

/** A build's context as the builder would get it: its files (what `.dockerignore` leaves), hashed. */
export interface BuildContext {
  /** Absolute path of the context folder. */
  dir: string
  /** Sorted by path, relative to the context; the Dockerfile and `.dockerignore` are always there (the builder needs them). */
  files: HashedInput[]
  /** SHA-256 over the build's definition (Dockerfile path, args, target, platform) and its files: what the image is tagged by. */
  digest: string
}

/**
 * Lists and hashes the context of `build` in `projectDir`, honouring its `.dockerignore` as Docker does.
 * Folders in `exclude` (orca's own run and cache folders) are never part of it, whatever the ignore file says.
 */
export function hashBuildContext(projectDir: string, build: ImageBuild, options: {platform?: string; exclude?: string[]} = {}): BuildContext {
  const dir = path.resolve(projectDir, build.context)
  const relative = path.relative(projectDir, dir)
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new OrcaError('config', `image build context "${build.context}" is outside the project`)
  if (!isDirectory(dir)) throw new OrcaError('config', `image build context "${build.context}" is not a folder of the project`)
  const files = listBuildContext(dir, build.dockerfile, options.exclude ?? [])
  const hashed = new InputHasher(dir).hash(files)
  if (!hashed.some((file) => file.path === build.dockerfile)) {
    throw new OrcaError('config', `image build: no Dockerfile at ${path.posix.join(build.context, build.dockerfile)}`)
  }
  return {dir, files: hashed, digest: buildDigest(build, options.platform, hashed)}
}

/** What a built image is tagged by: its definition (Dockerfile path, args, target, platform) and its context's files. */
export function buildDigest(build: {dockerfile: string; args: Record<string, string>; target?: string | null}, platform: string | undefined, files: HashedInput[]): string {
  const definition = {dockerfile: build.dockerfile, args: build.args, target: build.target ?? null, platform: platform ?? null}
  return createHash('sha256').update(canonicalJson(definition)).update('\n').update(JSON.stringify(files)).digest('hex')
}

/** The files of the context folder `dir` the builder gets, relative and `/`-separated, sorted. */
export function listBuildContext(dir: string, dockerfile: string, exclude: string[] = []): string[] {
  const patterns = readIgnoreFile(path.join(dir, '.dockerignore'))
  const ignores = dockerignore().add(patterns)
  // A folder may be skipped whole only when no `!` pattern could take a file below it back.
  const exceptions = patterns.some((line) => line.trim().startsWith('!'))
  const skipped = new Set(exclude.map((folder) => path.resolve(folder)))
  const out: string[] = []
  const walk = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, {withFileTypes: true})) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`
      const childAbs = path.join(abs, entry.name)
      if (entry.isDirectory()) {
        if (skipped.has(childAbs)) continue
        if (!exceptions && ignores.ignores(childRel)) continue
        walk(childAbs, childRel)
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        // The builder reads these two whatever the ignore file says.
        if (childRel === dockerfile || childRel === '.dockerignore' || !ignores.ignores(childRel)) out.push(childRel)
      }
    }
  }
  walk(dir, '')
  return out.sort()
}

/** A `.dockerignore`'s patterns (comments and blank lines dropped); none when there is no such file. */
function readIgnoreFile(file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}

/** Each build context of a run hashed once, however many jobs name it (the key and the build read the same listing). */
export class BuildContexts {
  private readonly memo = new Map<string, BuildContext>()

  constructor(
    readonly projectDir: string,
    /** orca's run and cache folders: never part of a context. */
    private readonly exclude: string[] = [],
  ) {}

  /** The context of a job's image build (the job must have one). */
  of(job: Job): BuildContext {
    const build = job.build!
    const id = JSON.stringify([build.context, build.dockerfile, build.args, build.target, job.platform])
    let context = this.memo.get(id)
    if (context === undefined) {
      context = hashBuildContext(this.projectDir, build, {platform: job.platform, exclude: this.exclude})
      this.memo.set(id, context)
    }
    return context
  }
}

/** The repository of a project's built images. */
export const BUILD_REPOSITORY = 'orca-build'

/** The tag a built image gets: one repository per project, the digest of its build as the tag. */
export function buildTag(projectId: string, context: Pick<BuildContext, 'digest'>): string {
  return `${BUILD_REPOSITORY}/${projectId}:${context.digest.slice(0, 32)}`
}
