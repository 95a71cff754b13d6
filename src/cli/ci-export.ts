import type {CiVendor} from '../engine/ci-export/render.js'
import {exitCode} from '../engine/errors.js'
import type {ciGitlabFlags} from './flags/ci.js'
import type {FlagValues} from './flags/table.js'
import {locateProject} from './project.js'

/** `orca ci github|gitlab` once parsed: writes, prints or checks the file; returns the exit code. */
export async function ciExportCommand(vendor: CiVendor, targets: string[], flags: Omit<FlagValues<typeof ciGitlabFlags>, 'runner'> & {runner?: 'docker' | 'shell'}): Promise<number> {
  const project = locateProject({cwd: process.cwd(), file: flags.file, stderr: process.stderr, needsJobsFile: true})
  const {exportCi} = await import('../engine/ci-export/export.js')
  const result = await exportCi({
    vendor,
    ...project,
    targets,
    groups: flags.group ?? [],
    output: flags.output,
    check: flags.check === true,
    force: flags.force === true,
    install: flags.install,
    orca: flags.orca,
    cache: flags.cache,
    secrets: flags.secret ?? [],
    runner: flags.runner ?? 'docker',
    env: process.env,
  })
  const count = `${result.jobs.length} CI job${result.jobs.length === 1 ? '' : 's'}`
  if (result.output === '-') {
    process.stdout.write(result.text)
    return exitCode('succeeded')
  }
  if (result.stale !== undefined) {
    if (result.stale.length === 0) {
      process.stdout.write(`${result.output} is up to date (${count})\n`)
      return exitCode('succeeded')
    }
    const stale = result.stale.map((line) => `  ${line}`).join('\n')
    process.stderr.write(`${result.output} is out of date with ${project.file}:\n${stale}\nhint: run orca ci ${vendor} without --check (same options) and commit ${result.output}\n`)
    return exitCode('jobFailed')
  }
  process.stdout.write(result.written ? `wrote ${result.output} (${count})\n` : `${result.output} is up to date (${count})\n`)
  return exitCode('succeeded')
}
