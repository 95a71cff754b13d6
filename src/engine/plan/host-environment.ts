import {readFileSync, realpathSync, statSync} from 'node:fs'
import * as path from 'node:path'

import type {Diagnostic} from '../errors.js'
import {ConfigError} from '../errors.js'
import {nameTable, ownValue} from '../name-table.js'
import {parseDotenv} from '../pipeline/dotenv.js'
import {isInside} from '../pipeline/include.js'
import {MAX_FILE_BYTES} from '../pipeline/source-file.js'
import type {Job} from '../pipeline/types.js'
import type {Plan} from './plan.js'

/**
 * The plan as orca's environment finds it at the start of a run: an optional secret that is not set
 * is dropped from its job, each `pass_env` variable that is not a secret is read (null when not set),
 * and each env file is read from the project. A missing or malformed env file is a ConfigError.
 */
export function bindHostEnvironment(plan: Plan, projectDir: string, env: NodeJS.ProcessEnv): Plan {
  const files = new EnvFiles(projectDir)
  const diagnostics: Diagnostic[] = []
  const jobs = new Map<string, Job>()
  for (const [name, job] of plan.jobs) {
    const optional = new Set(job.optionalSecrets ?? [])
    let bound = job
    if (optional.size > 0) bound = {...bound, secrets: job.secrets.filter((secret) => !optional.has(secret) || ownValue(env, secret) !== undefined)}
    if (job.passEnv !== undefined || job.envFiles !== undefined) {
      const passEnv = nameTable<string | null>()
      // A name that is also a secret is passed as a secret: masked, and by name only in the key.
      for (const variable of job.passEnv ?? []) if (!job.secrets.includes(variable)) passEnv[variable] = ownValue(env, variable) ?? null
      const envFileValues = nameTable<string>()
      for (const file of job.envFiles ?? []) Object.assign(envFileValues, files.read(file, job, diagnostics))
      bound = {...bound, host: {passEnv, envFileValues}}
    }
    jobs.set(name, bound)
  }
  if (diagnostics.length > 0) throw new ConfigError(diagnostics)
  return {...plan, jobs}
}

/** Env files read once per run however many jobs name them. */
class EnvFiles {
  private readonly read_ = new Map<string, Record<string, string> | undefined>()

  constructor(private readonly projectDir: string) {}

  read(file: string, job: Job, diagnostics: Diagnostic[]): Record<string, string> {
    if (this.read_.has(file)) return this.read_.get(file) ?? {}
    const where = {file: job.position?.file ?? 'jobs.yml', line: job.position?.line, column: job.position?.column, path: `jobs.${job.name}.env_file`}
    const problem = (message: string): Record<string, string> => {
      diagnostics.push({...where, message})
      this.read_.set(file, undefined)
      return {}
    }
    const absolute = path.resolve(this.projectDir, file)
    let real: string
    try {
      real = realpathSync(absolute)
    } catch {
      return problem(`env file ${JSON.stringify(file)} does not exist in the project`)
    }
    const realProject = realpathSync(this.projectDir)
    // The file's content reaches the job's environment: a link out of the project must not leak the host's files.
    if (!isInside(realProject, real)) {
      return problem(`env file ${JSON.stringify(file)} leads out of the project (through a symbolic link)`)
    }
    const info = statSync(real)
    if (!info.isFile()) return problem(`env file ${JSON.stringify(file)} is not a file`)
    if (info.size > MAX_FILE_BYTES) return problem(`env file ${JSON.stringify(file)} is larger than 1 MiB`)
    const parsed = parseDotenv(readFileSync(real, 'utf8'), file)
    diagnostics.push(...parsed.diagnostics)
    this.read_.set(file, parsed.values)
    return parsed.values
  }
}
