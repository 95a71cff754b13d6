import {OrcaError} from '../errors.js'
import {nameTable, ownValue} from '../name-table.js'
import type {Plan} from '../plan/plan.js'
import type {Job} from '../pipeline/types.js'

/** Resolves the secrets the planned jobs name from orca's environment; a missing one is a usage error. */
export function resolveSecrets(plan: Plan, env: NodeJS.ProcessEnv): Record<string, string> {
  const secrets = nameTable<string>()
  const missing: string[] = []
  const names = new Set<string>()
  for (const job of plan.jobs.values()) {
    const optional = new Set(job.optionalSecrets ?? [])
    // `required: false` is a job's own word: a service's secrets stay required.
    const wanted: Array<[string, string, boolean]> = [
      ...job.secrets.map((name): [string, string, boolean] => [name, `jobs.${job.name}.secrets`, optional.has(name)]),
      ...Object.values(job.services).flatMap((service) => service.secrets.map((name): [string, string, boolean] => [name, `services.${service.name}.secrets of job ${job.name}`, false])),
    ]
    for (const [name, where, mayBeUnset] of wanted) {
      // Own variables only: `constructor` or `__proto__` must not find Object.prototype's.
      const value = ownValue(env, name)
      if (value !== undefined) secrets[name] = value
      else if (!mayBeUnset) {
        missing.push(`${name} (${where})`)
        names.add(name)
      }
    }
  }
  if (missing.length > 0) {
    const list = [...names]
    const them = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`
    throw new OrcaError('usage', `secret${missing.length > 1 ? 's' : ''} not set in orca's environment: ${missing.join(', ')}`, {
      hint: `export ${them} before running orca, e.g. \`${list.map((name) => `${name}=...`).join(' ')} orca run\` (secrets are read from orca's own environment, not from -e)`,
    })
  }
  return secrets
}

/**
 * The job's environment: its env files' variables, under the pipeline and job env, under the
 * `pass_env` variables that are set, then `-e` overrides, then secret values (names listed by the job only).
 */
export function jobEnv(job: Job, envOverrides: Record<string, string>, secrets: Record<string, string>): Record<string, string> {
  const passed = Object.entries(job.host?.passEnv ?? {}).filter((entry): entry is [string, string] => entry[1] !== null)
  const env = nameTable(job.host?.envFileValues, job.env, Object.fromEntries(passed), envOverrides)
  for (const name of job.secrets) {
    const value = ownValue(secrets, name)
    if (value !== undefined) env[name] = value
  }
  return env
}
