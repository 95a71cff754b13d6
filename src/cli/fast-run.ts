import {reportError} from './report-error.js'
import {parseRunArgv} from './run-argv.js'

/**
 * `orca run` without oclif, for `bin/run.cjs`: hooks and CI steps call it on every commit, and oclif's
 * own start-up costs several times a fully cached run. Returns undefined when argv needs oclif
 * (help, anything `parseRunArgv` leaves to oclif's usage errors).
 */
export async function runFast(argv: readonly string[], orcaVersion: string): Promise<number | undefined> {
  const args = parseRunArgv(argv)
  if (args === undefined) return undefined
  try {
    const {runCommand} = await import('./run-pipeline.js')
    return await runCommand(args, orcaVersion)
  } catch (error) {
    return reportError(error)
  }
}
