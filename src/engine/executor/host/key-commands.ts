import {OrcaError} from '../../errors.js'
import type {Job} from '../../pipeline/types.js'
import {nameTable} from '../../name-table.js'
import {hostBaseEnv} from './host-env.js'
import {exitCodeOf, startGroup} from './process-group.js'

/** One `host.key` command and its stdout (trailing whitespace removed). */
export interface HostKeyOutput {
  command: string
  output: string
}

/** Runs a host job's key commands (none for other jobs), once per job and run. */
export type HostKeyResolver = (job: Job) => Promise<HostKeyOutput[]>

/** A key command that takes longer than this is stopped: identifying a toolchain is quick. */
const KEY_COMMAND_TIMEOUT_MS = 60_000
/** More output than this is refused rather than put in a key (a version string is a line or two). */
const MAX_KEY_OUTPUT_BYTES = 64 * 1024

export interface HostKeyOptions {
  /** Where the commands run: the project directory. */
  cwd: string
  /** orca's environment, of which the host basics are passed (as to the steps). */
  env: NodeJS.ProcessEnv
  /** `-e K=V` values, over the job's env. */
  envOverrides: Record<string, string>
  timeoutMs?: number
}

/** A resolver that runs each host job's key commands the first time it is asked, in the project directory. */
export function hostKeyResolver(options: HostKeyOptions): HostKeyResolver {
  const known = new Map<string, Promise<HostKeyOutput[]>>()
  return (job) => {
    let outputs = known.get(job.name)
    if (outputs === undefined) {
      outputs = runHostKey(job, options)
      known.set(job.name, outputs)
    }
    return outputs
  }
}

/**
 * Runs the job's `host.key` commands one after another with `sh -c` (the job's env, no secrets) and
 * returns what each printed. A command that fails, prints too much or hangs is an error naming it:
 * a key that cannot be computed must not become a key that matches something.
 */
export async function runHostKey(job: Job, options: HostKeyOptions): Promise<HostKeyOutput[]> {
  const env = {...hostBaseEnv(options.env), ...nameTable(job.env, options.envOverrides)}
  const outputs: HostKeyOutput[] = []
  for (const command of job.hostKey ?? []) {
    outputs.push({command, output: await runKeyCommand(job.name, command, options.cwd, env, options.timeoutMs ?? KEY_COMMAND_TIMEOUT_MS)})
  }
  return outputs
}

async function runKeyCommand(job: string, command: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<string> {
  const group = startGroup(['sh', '-c', command], {cwd, env})
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  let size = 0
  let problem: string | undefined
  group.child.stdout!.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size <= MAX_KEY_OUTPUT_BYTES) stdout.push(chunk)
    else if (problem === undefined) {
      problem = `printed more than ${MAX_KEY_OUTPUT_BYTES} bytes`
      group.signal('SIGKILL')
    }
  })
  group.child.stderr!.on('data', (chunk: Buffer) => stderr.length < 16 && stderr.push(chunk))
  const timer = setTimeout(() => {
    problem ??= `did not finish within ${timeoutMs / 1000}s`
    group.signal('SIGKILL')
  }, timeoutMs)
  const exit = await group.exited.finally(() => clearTimeout(timer))
  // Whatever it left running in the background is not part of identifying the host.
  group.signal('SIGKILL')
  const code = exitCodeOf(exit)
  if (problem === undefined && code !== 0) {
    const said = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0]
    problem = `exited with ${code}${said ? `: ${said}` : ''}`
  }
  if (problem !== undefined) {
    throw new OrcaError('infra', `host key command ${JSON.stringify(command)} of job "${job}" ${problem}`, {
      hint: 'host.key commands identify the toolchain a host job uses (e.g. "node --version"); each must succeed on this machine',
    })
  }
  return Buffer.concat(stdout).toString('utf8').trimEnd()
}
