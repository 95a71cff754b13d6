import {execFile} from 'node:child_process'
import {existsSync, readFileSync, statSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {promisify} from 'node:util'

import {OrcaError} from '../errors.js'
import {assertImageReference} from '../pipeline/image-reference.js'
import {loadPipeline} from '../pipeline/load.js'
import {parsePipeline} from '../pipeline/parse.js'
import {detectProject, type ProjectFacts, type ProjectKind} from './detect.js'
import {
  CI_FILES,
  readSettings,
  renderCiFile,
  renderConfigFile,
  renderJobsFile,
  renderPreCommitConfig,
  renderPreCommitHook,
  type CiProvider,
  type RunCommand,
} from './render.js'
import {existingFiles, writeFilesAtomically, type PlannedFile} from './write.js'

export interface InitOptions {
  /** The project folder. */
  dir: string
  /** Overwrite files that exist. */
  force?: boolean
  /** Skip detection and write jobs for this kind. */
  kind?: ProjectKind
  /** Image of every generated job instead of the kind's default. */
  image?: string
  ci?: CiProvider[]
  preCommit?: boolean
  /** Jobs the CI file and the hook run; default `ci`, the group every template defines. */
  targets?: string[]
  /** Path of the pipeline file, relative to `dir`. */
  jobsFile?: string
}

export interface InitResult {
  facts: ProjectFacts
  /** Paths written, relative to the project (`/`-separated). */
  written: string[]
  /** jobs.yml / orca.config.yml left as they were because only CI or hook files were asked for. */
  kept: string[]
  /** Jobs of the pipeline in effect (the one written, or the one kept). */
  jobs: string[]
  /** The command to try next. */
  next: string
  /** One-line hints worth printing (other project kinds found, .gitignore, the pre-commit framework). */
  notes: string[]
}

const PIPELINE_DEFAULTS = {timeoutMs: 30 * 60_000, cleanup: 'always_remove'} as const

/**
 * `orca init` without the CLI: detects the project, renders jobs.yml and orca.config.yml (and the CI
 * file / pre-commit hook when asked) from `templates/`, refuses to overwrite anything without `force`,
 * then writes every file atomically. Nothing is written when anything is refused.
 */
export async function initProject(options: InitOptions): Promise<InitResult> {
  // Checked before rendering: the image is written into jobs.yml as is.
  if (options.image !== undefined) assertImageReference(options.image, '--image')
  const dir = resolve(options.dir)
  const jobsFile = options.jobsFile ?? 'jobs.yml'
  const targets = options.targets?.length ? options.targets : ['ci']
  const settings = readSettings()
  const facts = detectProject(dir, options.kind)
  const extras = (options.ci?.length ?? 0) > 0 || Boolean(options.preCommit)

  const base: PlannedFile[] = [
    {path: jobsFile, text: renderJobsFile(facts, settings, options.image, relative(dir, resolve(dir, jobsFile)).split('\\').join('/'))},
    {path: 'orca.config.yml', text: renderConfigFile(facts, settings)},
  ]
  // Asking for a CI file or a hook later must not require --force on the pipeline written earlier.
  const kept = extras && !options.force ? await existingFiles(dir, base) : []
  const files = base.filter((f) => !kept.includes(f.path))

  const jobs = kept.includes(jobsFile) ? await jobsOfExisting(dir, jobsFile) : jobsOfGenerated(base[0]!.text, dir, jobsFile)
  const unknown = jobs ? targets.filter((t) => !jobs.includes(t)) : []
  if (unknown.length > 0) {
    throw new OrcaError('usage', `${jobsFile} has no job ${unknown.map((t) => `"${t}"`).join(', ')}; its jobs are ${jobs!.join(', ')}`, {
      hint: 'name the jobs to run with --target',
    })
  }

  const run: RunCommand = {targets, jobsFile}
  for (const provider of options.ci ?? []) files.push({path: CI_FILES[provider], text: renderCiFile(provider, run, settings)})
  const notes: string[] = []
  if (options.preCommit) {
    const git = await gitPlaces(dir)
    files.push({path: git.hook, text: renderPreCommitHook(run, git.prefix, settings), mode: 0o755})
    notes.push(`using the pre-commit framework instead? add this to .pre-commit-config.yaml:\n${indent(renderPreCommitConfig(run, settings))}`)
  }

  const existing = options.force ? [] : await existingFiles(dir, files)
  if (existing.length > 0) {
    throw new OrcaError('usage', `not overwriting ${existing.join(', ')}`, {hint: 'move them away, or run again with --force to replace them'})
  }
  await writeFilesAtomically(dir, files)

  if (facts.alsoFound.length > 0) {
    notes.push(`also found a ${facts.alsoFound.join(', ')} project here; its jobs are not in ${jobsFile} (orca init --kind KIND writes them instead)`)
  }
  if (!ignoresOrcaState(dir)) notes.push('add .orca/ to .gitignore: it holds run records and the cache')
  const fileFlag = jobsFile === 'jobs.yml' ? '' : ` -f ${jobsFile}`
  return {
    facts,
    written: files.map((f) => f.path),
    kept,
    jobs: jobs ?? [],
    next: `orca run ${targets.join(' ')}${fileFlag}`,
    notes,
  }
}

/** Every template must produce a valid pipeline; a failure here is a bug in a template. */
function jobsOfGenerated(text: string, dir: string, jobsFile: string): string[] {
  const pipeline = parsePipeline(text, jobsFile, join(dir, jobsFile), PIPELINE_DEFAULTS)
  return [...pipeline.jobs.keys()]
}

/** The jobs of a kept jobs.yml, or undefined when it does not load (`orca run` will say why). */
async function jobsOfExisting(dir: string, jobsFile: string): Promise<string[] | undefined> {
  try {
    const pipeline = await loadPipeline(jobsFile, {cwd: dir, defaults: PIPELINE_DEFAULTS})
    return [...pipeline.jobs.keys()]
  } catch {
    return undefined
  }
}

/**
 * Where the hook goes: `.git/hooks/pre-commit`, or wherever git keeps hooks for this checkout
 * (worktrees, core.hooksPath); and the project's folder inside the repository (`''` at the top).
 */
async function gitPlaces(dir: string): Promise<{hook: string; prefix: string}> {
  let hooks: string
  let prefix = ''
  try {
    const {stdout} = await promisify(execFile)('git', ['rev-parse', '--path-format=absolute', '--git-path', 'hooks', '--show-prefix'], {cwd: dir})
    const lines = stdout.split('\n')
    hooks = lines[0]!.trim()
    prefix = lines[1]?.trim() ?? ''
  } catch {
    if (!isDir(join(dir, '.git'))) {
      throw new OrcaError('usage', `${dir} is not a git repository, so there is nowhere to install a pre-commit hook`, {
        hint: 'run "git init" first, or leave out --pre-commit',
      })
    }
    hooks = join(dir, '.git', 'hooks')
  }
  return {hook: relative(dir, join(hooks, 'pre-commit')).split('\\').join('/'), prefix}
}

function ignoresOrcaState(dir: string): boolean {
  const gitignore = join(dir, '.gitignore')
  if (!existsSync(gitignore)) return false
  try {
    return /^\/?\.orca\/?\s*$/m.test(readFileSync(gitignore, 'utf8'))
  } catch {
    return false
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

const indent = (text: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
