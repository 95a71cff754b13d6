import {existsSync, readFileSync} from 'node:fs'
import * as path from 'node:path'

import {ConfigError, type Diagnostic} from '../errors.js'
import {isInside} from '../pipeline/source-file.js'
import {liftCommonImage, renderPipeline, validateOutput, type OutPipeline} from './emit.js'
import {importGithub} from './github.js'
import {importGitlab} from './gitlab.js'
import {buildReport, type ImportEntry, type ImportReport} from './report.js'
import {readCiFile, type CiFile} from './source.js'

export type ImportVendor = 'github' | 'gitlab'

export interface ImportOptions {
  vendor: ImportVendor
  /** The CI files as the user named them (relative to cwd), at least one. */
  files: string[]
  cwd: string
  /** The project's top (where `include: local` paths start, and where jobs.yml will live). */
  projectDir: string
  /** Image of jobs whose CI file names none. */
  image?: string
}

export interface ImportResult {
  /** The jobs.yml text. */
  text: string
  report: ImportReport
  /** What `orca validate` would say about the text: empty when it validates. */
  problems: Diagnostic[]
  /** How many jobs the text has (before matrices expand). */
  jobs: number
}

/** The default CI files of each vendor, relative to the project. */
export function defaultCiFiles(vendor: ImportVendor, projectDir: string, list: (dir: string) => string[]): string[] {
  if (vendor === 'gitlab') return ['.gitlab-ci.yml']
  const dir = path.join(projectDir, '.github/workflows')
  return list(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => `.github/workflows/${f}`)
}

/** Reads the CI files, translates them, writes jobs.yml's text and the report; a bad file is a ConfigError (exit 2). */
export function importCi(options: ImportOptions): ImportResult {
  const entries: ImportEntry[] = []
  const read = (file: string): CiFile => readCiFile(path.relative(options.cwd, path.resolve(options.cwd, file)) || file, path.resolve(options.cwd, file))
  const mains = options.files.map(read)
  let pipeline
  let files: CiFile[]
  if (options.vendor === 'gitlab') {
    if (mains.length !== 1) throw new ConfigError([{file: options.files.join(', '), path: '', message: 'orca import gitlab reads one pipeline file (its include: local files come with it)'}])
    const readLocal = (included: string): CiFile | undefined => {
      const abs = path.resolve(options.projectDir, included)
      if (!isInside(options.projectDir, abs) || !existsSync(abs)) return undefined
      return read(path.relative(options.cwd, abs))
    }
    const exists = (p: string): boolean => {
      const abs = path.resolve(options.projectDir, p)
      return isInside(options.projectDir, abs) && existsSync(abs)
    }
    ;({pipeline, files} = importGitlab(mains[0]!, readLocal, {defaultImage: options.image, exists}, entries))
  } else {
    const readProjectFile = (file: string): string | undefined => {
      const abs = path.resolve(options.projectDir, file)
      try {
        return isInside(options.projectDir, abs) ? readFileSync(abs, 'utf8').slice(0, 4096) : undefined
      } catch {
        return undefined
      }
    }
    pipeline = importGithub(mains, {defaultImage: options.image, readProjectFile}, entries)
    files = mains
  }
  for (const file of files) entries.push(...file.warnings)
  dropInvalidVariables(pipeline, mains[0]!.file, entries)
  liftCommonImage(pipeline)
  const text = renderPipeline(pipeline)
  const problems = validateOutput(text, path.join(options.projectDir, 'jobs.yml'))
  return {text, report: buildReport(options.vendor, files.map((f) => f.file), entries), problems, jobs: pipeline.jobs.size}
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Variables a shell cannot name (`FOO-BAR`, which both CIs allow) are left out of every env, each reported. */
function dropInvalidVariables(pipeline: OutPipeline, file: string, entries: ImportEntry[]): void {
  const clean = (env: unknown, job: string | undefined): void => {
    if (typeof env !== 'object' || env === null || Array.isArray(env)) return
    for (const name of Object.keys(env)) {
      if (VARIABLE_NAME.test(name)) continue
      delete (env as Record<string, unknown>)[name]
      entries.push({construct: `variable ${name}`, file, ...(job === undefined ? {} : {job}), status: 'dropped', note: 'not a name a shell variable can have (letters, digits and _)'})
    }
  }
  clean(pipeline.top.env, undefined)
  for (const [name, job] of pipeline.jobs) {
    clean(job.data.env, name)
    for (const step of Array.isArray(job.data.steps) ? job.data.steps : []) if (typeof step === 'object' && step !== null) clean((step as Record<string, unknown>).env, name)
    for (const service of Object.values((job.data.services ?? {}) as Record<string, Record<string, unknown>>)) clean(service.env, name)
  }
}
