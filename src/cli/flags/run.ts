import {CLEANUP_POLICIES} from '../../engine/pipeline/types.js'
import {envOverrideFlag, pipelineFileFlag, remoteFlags} from './common.js'
import type {FlagTable} from './table.js'

export const OUTPUT_MODES = ['auto', 'tty', 'plain', 'json'] as const
export type OutputMode = (typeof OUTPUT_MODES)[number]

/** `orca run`'s flags: oclif's and the fast start's (`parseRunArgv`). */
export const runFlags = {
  file: pipelineFileFlag,
  concurrency: {type: 'integer', char: 'j', min: 1, description: 'jobs run at once (default: config, else number of CPUs)'},
  'no-cache': {type: 'boolean', description: 'run every job even when its key is cached'},
  'dry-run': {type: 'boolean', description: 'print the plan and run nothing'},
  'needs-from-cache': {
    type: 'boolean',
    description: "restore the jobs the targets need from the cache instead of running them; exit 2 naming each one missing (for CI fan-out: docs/ci.md)",
  },
  inputs: {type: 'boolean', dependsOn: ['dry-run'], description: "with --dry-run, also list each job's input files"},
  'fail-fast': {type: 'boolean', description: 'cancel running jobs and skip pending ones after the first failure'},
  output: {type: 'string', options: OUTPUT_MODES, default: 'auto', description: 'how progress is shown'},
  junit: {type: 'string', helpValue: 'FILE', description: 'also write a JUnit XML report to FILE (a testsuite per job, a testcase per step)'},
  cleanup: {type: 'string', options: CLEANUP_POLICIES, description: 'cleanup policy for every job of this run'},
  'keep-for': {type: 'string', helpValue: 'DURATION', description: "how long containers kept by the cleanup policy stay (e.g. 2h), over every job's keep_for; then orca clean and later runs remove them"},
  env: envOverrideFlag('set an environment variable in every job'),
  watch: {
    type: 'boolean',
    description: "after the run, wait for a change to a job's inputs, jobs.yml or the configuration and run again (unchanged jobs come from the cache); Ctrl-C ends it",
  },
  interactive: {
    type: 'boolean',
    char: 'i',
    description: "when a step fails, open a shell in its job's container (its workdir and environment); the run goes on when it exits (needs a terminal)",
  },
  ...remoteFlags,
} as const satisfies FlagTable
