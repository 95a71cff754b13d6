import {lstatSync} from 'node:fs'
import * as path from 'node:path'

import {jobInputFiles} from '../plan/inputs.js'
import {whyInput, type InputVerdict, type WhyContext} from '../plan/why-input.js'

/** What `orca explain JOB --inputs / --why PATH` says about a job's input files. */
export interface InputsReport {
  job: string
  /** `git`: tracked files and untracked ones git does not ignore; `walk`: files no .gitignore/.orcaignore ignores. */
  source: 'git' | 'walk'
  /** With `--inputs`: the files the job's container gets, sorted. */
  inputs?: Array<{path: string; untracked?: true}>
  /** With `--inputs`: orca's own files the job does not get (it lists no glob that names them). */
  leftOut?: string[]
  /** With `--why`: one verdict per path asked. */
  verdicts?: InputVerdict[]
}

/** The job's input files (those that exist, as hashing keeps them) and verdicts for `paths`. */
export async function listInputs(context: WhyContext, ask: {list: boolean; paths: string[]; cwd: string}): Promise<InputsReport> {
  const {project, job, projectDir} = context
  const report: InputsReport = {job: job.name, source: project.source}
  if (ask.list) {
    const selected = job.steps.length === 0 ? [] : jobInputFiles(project, job)
    const untracked = new Set(project.untracked)
    report.inputs = selected
      .filter((file) => {
        const stat = lstatSync(path.join(projectDir, file), {throwIfNoEntry: false})
        return stat !== undefined && (stat.isFile() || stat.isSymbolicLink())
      })
      .map((file) => (untracked.has(file) ? {path: file, untracked: true as const} : {path: file}))
    report.leftOut = job.steps.length === 0 ? [] : project.orcaFiles.filter((file) => !selected.includes(file))
  }
  if (ask.paths.length > 0) report.verdicts = await Promise.all(ask.paths.map((asked) => whyInput(context, asked, ask.cwd)))
  return report
}
