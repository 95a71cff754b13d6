import {ownValue} from '../../name-table.js'

/**
 * The variables of orca's own environment a host job's steps and key commands get, beneath the job's
 * env: what finds and runs the host's tools (PATH, HOME, the user, locale, time zone, temp folder).
 * Nothing else leaks in, so a job's environment is what jobs.yml says plus these.
 */
const PASSED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'TZ', 'LANG']

/** The host variables a host job starts from (see PASSED, and every LC_* locale variable). */
export function hostBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const base: Record<string, string> = {}
  for (const name of Object.keys(env)) {
    const value = ownValue(env, name)
    if (value !== undefined && (PASSED.includes(name) || name.startsWith('LC_'))) base[name] = value
  }
  return base
}
