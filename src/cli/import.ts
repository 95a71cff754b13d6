import {existsSync, readdirSync} from 'node:fs'
import * as path from 'node:path'

import {replaceFile} from '../engine/atomic-file.js'
import {ConfigError, exitCode, formatDiagnostic} from '../engine/errors.js'
import type {ImportVendor} from '../engine/import/import.js'
import type {importFlags} from './flags/import.js'
import type {FlagValues} from './flags/table.js'

/** `orca import github|gitlab` once parsed: writes or prints jobs.yml, prints the report; returns the exit code. */
export async function importCommand(vendor: ImportVendor, files: string[], flags: FlagValues<typeof importFlags>): Promise<number> {
  const {importCi, defaultCiFiles} = await import('../engine/import/import.js')
  const {formatReport} = await import('../engine/import/report.js')
  const cwd = process.cwd()
  const given = files.length > 0 ? files : defaultCiFiles(vendor, cwd, (dir) => (existsSync(dir) ? readdirSync(dir) : []))
  if (given.length === 0) {
    throw new ConfigError([{file: '.github/workflows', path: '', message: 'no workflow files (*.yml) found'}], {hint: 'name the workflow files: orca import github .github/workflows/ci.yml'})
  }
  const output = flags.output ?? '-'
  if (output !== '-' && existsSync(path.resolve(cwd, output)) && flags.force !== true) {
    throw new ConfigError([{file: output, path: '', message: 'already exists'}], {hint: 'pass --force to overwrite it, or -o another file'})
  }
  const projectDir = output === '-' ? cwd : path.dirname(path.resolve(cwd, output))
  const result = importCi({vendor, files: given, cwd, projectDir, image: flags.image})
  if (output === '-') process.stdout.write(result.text)
  else replaceFile(path.resolve(cwd, output), result.text, {createDir: true})
  const reportOut = output === '-' ? process.stderr : process.stdout
  if (flags.json === true) reportOut.write(`${JSON.stringify({...result.report, output, valid: result.problems.length === 0, problems: result.problems.map(formatDiagnostic)}, null, 2)}\n`)
  else {
    reportOut.write(formatReport(result.report))
    if (output !== '-') reportOut.write(`wrote ${output} (${result.jobs} job${result.jobs === 1 ? '' : 's'})\n`)
  }
  if (result.problems.length > 0) {
    process.stderr.write(`the imported file does not validate; fix these by hand:\n${result.problems.map((p) => `  ${formatDiagnostic(p)}`).join('\n')}\n`)
    return exitCode('jobFailed')
  }
  if (flags.strict === true && result.report.counts.dropped > 0) {
    process.stderr.write(`--strict: ${result.report.counts.dropped} construct${result.report.counts.dropped === 1 ? ' was' : 's were'} dropped (listed above)\n`)
    return exitCode('jobFailed')
  }
  return exitCode('succeeded')
}
