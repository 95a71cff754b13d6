import {CLEANUP_POLICIES, type CleanupPolicy} from '../engine/pipeline/types.js'

export const OUTPUT_MODES = ['auto', 'tty', 'plain', 'json'] as const
export type OutputMode = (typeof OUTPUT_MODES)[number]

/** `orca run`'s arguments once parsed, by oclif or by `parseRunArgv`. */
export interface RunArgs {
  targets: string[]
  file: string
  concurrency?: number
  noCache: boolean
  dryRun: boolean
  /** With `dryRun`: also list each job's input files. */
  inputs: boolean
  failFast: boolean
  output: OutputMode
  junit?: string
  cleanup?: CleanupPolicy
  /** `-e KEY=VALUE` values, unparsed. */
  env: string[]
}

type FlagSpec =
  | {name: keyof RunArgs; type: 'boolean'}
  | {name: keyof RunArgs; type: 'string' | 'integer' | 'multiple'; options?: readonly string[]}

/** The flags of `src/commands/run.ts`, by their command-line spelling (a test keeps the two in step). */
export const RUN_FLAGS: Record<string, FlagSpec> = {
  '--file': {name: 'file', type: 'string'},
  '-f': {name: 'file', type: 'string'},
  '--concurrency': {name: 'concurrency', type: 'integer'},
  '-j': {name: 'concurrency', type: 'integer'},
  '--no-cache': {name: 'noCache', type: 'boolean'},
  '--dry-run': {name: 'dryRun', type: 'boolean'},
  '--inputs': {name: 'inputs', type: 'boolean'},
  '--fail-fast': {name: 'failFast', type: 'boolean'},
  '--output': {name: 'output', type: 'string', options: OUTPUT_MODES},
  '--junit': {name: 'junit', type: 'string'},
  '--cleanup': {name: 'cleanup', type: 'string', options: CLEANUP_POLICIES},
  '--env': {name: 'env', type: 'multiple'},
  '-e': {name: 'env', type: 'multiple'},
}

/**
 * Parses `orca run`'s argv without oclif, for the fast start of `bin/run.js`. Only plain, valid
 * spellings are taken; anything else (help, `--`, bundled short flags, a repeated or unknown flag, a
 * bad value) returns undefined so oclif parses it and owns the usage error.
 */
export function parseRunArgv(argv: readonly string[]): RunArgs | undefined {
  const args: RunArgs = {targets: [], file: 'jobs.yml', noCache: false, dryRun: false, inputs: false, failFast: false, output: 'auto', env: []}
  const seen = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (!token.startsWith('-')) {
      args.targets.push(token)
      continue
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1
    const spelling = eq === -1 ? token : token.slice(0, eq)
    const spec = Object.hasOwn(RUN_FLAGS, spelling) ? RUN_FLAGS[spelling] : undefined
    if (spec === undefined) return undefined
    if (spec.type !== 'multiple' && seen.has(spec.name)) return undefined
    seen.add(spec.name)
    if (spec.type === 'boolean') {
      if (eq !== -1) return undefined
      ;(args[spec.name] as boolean) = true
      continue
    }
    const value = eq === -1 ? argv[++i] : token.slice(eq + 1)
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    if (spec.options !== undefined && !spec.options.includes(value)) return undefined
    if (spec.type === 'integer') {
      if (!/^[1-9]\d{0,8}$/.test(value)) return undefined
      args.concurrency = Number(value)
    } else if (spec.type === 'multiple') {
      args.env.push(value)
    } else {
      ;(args[spec.name] as string) = value
    }
  }
  // oclif says why --inputs needs --dry-run.
  return args.inputs && !args.dryRun ? undefined : args
}
