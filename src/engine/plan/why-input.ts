import {lstatSync} from 'node:fs'
import * as path from 'node:path'

import type {Job} from '../pipeline/types.js'
import {findWorkTree, gitIgnoreRule} from './git.js'
import {decidingRule, type RuleSet} from './ignore-rules.js'
import {globMatcher, jobInputFiles} from './inputs.js'
import type {ProjectFiles} from './project-files.js'
import {IGNORE_FILES, readRuleSet} from './walk.js'

/** Whether a path is one of a job's inputs, and why. */
export interface InputVerdict {
  /** The path as asked. */
  path: string
  /** Relative to the project, `/`-separated; null when outside it. */
  file: string | null
  input: boolean
  /** In words, e.g. `tracked by git`, `ignored by .gitignore:3: build/`. */
  why: string
}

export interface WhyContext {
  projectDir: string
  project: ProjectFiles
  job: Job
  /** orca's state directories, relative to the project and ending in `/`. */
  stateDirs: string[]
  /** The pipeline file and config file in use, relative to the project, to name them. */
  pipelineFile?: string
  /** The files the pipeline file includes, relative to the project. */
  includedFiles?: string[]
  configFile?: string
  env: NodeJS.ProcessEnv
}

/** Says whether `asked` (relative to `cwd`) is an input of the job and why, as the run would decide. */
export async function whyInput(context: WhyContext, asked: string, cwd: string): Promise<InputVerdict> {
  const {projectDir, project, job} = context
  const abs = path.resolve(cwd, asked)
  const rel = path.relative(projectDir, abs)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return {path: asked, file: null, input: false, why: `outside the project (${projectDir})`}
  const file = rel.split(path.sep).join('/')
  const verdict = (input: boolean, why: string): InputVerdict => ({path: asked, file: file || '.', input, why})
  const stat = lstatSync(abs, {throwIfNoEntry: false})

  if (stat?.isDirectory()) {
    const prefix = file === '' ? '' : `${file}/`
    const count = job.steps.length === 0 ? 0 : jobInputFiles(project, job).filter((f) => f.startsWith(prefix)).length
    return verdict(count > 0, `a directory: ${count} of the files under it ${count === 1 ? 'is an input' : 'are inputs'} of ${job.name} (orca explain ${job.name} --inputs lists them)`)
  }
  if (job.steps.length === 0) return verdict(false, `${job.name} has no steps (a group job): it gets no files`)
  const stateDir = context.stateDirs.find((dir) => file.startsWith(dir))
  if (stateDir !== undefined) return verdict(false, `in orca's own state (${stateDir}): never an input`)
  if (file.split('/').includes('.git')) return verdict(false, "in git's own directory: never an input")

  if (includesSorted(project.files, file)) {
    if (!stat) return verdict(false, 'listed by git, but deleted from the work tree')
    if (!stat.isFile() && !stat.isSymbolicLink()) return verdict(false, 'not a regular file or symlink')
    if (includesSorted(jobInputFiles(project, job), file)) return verdict(true, `an input of ${job.name}: ${await whyListed(context, file, abs)}`)
    return verdict(false, `not an input of ${job.name}: ${whyNotSelected(context, file)}`)
  }
  if (!stat) return verdict(false, 'no such file in the project')
  return verdict(false, `not an input of ${job.name}: ${await whyUnlisted(context, file, abs)}`)
}

/** Why a listed file is in the project's files. */
async function whyListed(context: WhyContext, file: string, abs: string): Promise<string> {
  if (context.project.source === 'walk') {
    return `no .gitignore or .orcaignore ignores it (${context.project.notice === undefined ? 'the project is not in a git work tree' : 'git could not be asked'})`
  }
  if (includesSorted(context.project.untracked, file)) return 'not tracked by git, and no ignore rule matches it'
  const rule = await gitRule(context, abs)
  return rule === undefined || rule.negative ? 'tracked by git' : `tracked by git (${rule.text} matches it, but git keeps the files it tracks)`
}

/** Why a file of the project is not among the job's inputs. */
function whyNotSelected(context: WhyContext, file: string): string {
  const globs = context.job.inputs
  const include = globs?.filter((g) => !g.startsWith('!')) ?? []
  if (context.project.orcaFiles.includes(file) && include.length === 0) {
    const what =
      file === context.pipelineFile
        ? 'the pipeline file in use'
        : context.includedFiles?.includes(file)
          ? 'a file the pipeline file includes'
          : file === context.configFile
            ? "orca's config file"
            : 'an .orcaignore file'
    return `orca's own file (${what}): not a default input, as what it says is already in the job's key; a job whose inputs glob matches it gets it`
  }
  if (globs === undefined) return 'not a default input'
  if (globs.length === 0) return 'the job has `inputs: []`'
  if (include.length > 0 && !globMatcher(include)(file)) return `not matched by the job's inputs (${include.join(', ')})`
  const exclusion = globs.find((g) => g.startsWith('!') && globMatcher([g.slice(1)])(file))
  return exclusion === undefined ? 'not selected by the job\'s inputs' : `excluded by the job's inputs glob ${exclusion}`
}

/** Why an existing file is not in the project's files: the rule that ignores it. */
async function whyUnlisted(context: WhyContext, file: string, abs: string): Promise<string> {
  const {project, projectDir} = context
  const names = project.source === 'git' ? ['.orcaignore'] : IGNORE_FILES
  const dirs = file.split('/').slice(0, -1)
  const ruleSets: RuleSet[] = []
  for (let depth = 0; depth <= dirs.length; depth++) {
    const dir = dirs.slice(0, depth).map((d) => `${d}/`).join('')
    ruleSets.push(readRuleSet(projectDir, dir, names))
  }
  const own = decidingRule(ruleSets, file)
  if (own !== undefined) return `ignored by ${own.file}:${own.line}: ${own.pattern}`
  if (project.source === 'walk') return 'not listed (a directory above it is not walked)'
  const rule = await gitRule(context, abs)
  if (rule !== undefined && !rule.negative) return `ignored by git (${rule.text})`
  return 'not listed by git (`git ls-files --cached --others --exclude-standard` leaves it out)'
}

/** The gitignore pattern matching `abs`, as `FILE:LINE: PATTERN` with FILE relative to the project; undefined when none does. */
async function gitRule(context: WhyContext, abs: string): Promise<{text: string; negative: boolean} | undefined> {
  // Asked from the file's own folder, so a file inside a submodule is judged by the submodule's rules.
  const dir = path.dirname(abs)
  const rule = await gitIgnoreRule(dir, path.basename(abs), context.env)
  if (rule === undefined || 'error' in rule) return undefined
  const top = findWorkTree(dir, context.env)?.top
  const source = path.isAbsolute(rule.source) || top === undefined ? rule.source : path.relative(context.projectDir, path.join(top, rule.source)).split(path.sep).join('/')
  return {text: `${source}:${rule.line}: ${rule.pattern}`, negative: rule.pattern.startsWith('!')}
}

/** Whether the sorted `list` holds `value`. */
function includesSorted(list: readonly string[], value: string): boolean {
  let low = 0
  let high = list.length - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    const item = list[mid]!
    if (item === value) return true
    if (item < value) low = mid + 1
    else high = mid - 1
  }
  return false
}
