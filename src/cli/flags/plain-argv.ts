import {createRequire} from 'node:module'
import type * as NodeUtil from 'node:util'
import type {ParseArgsConfig} from 'node:util'

import type {FlagSpec, FlagTable, FlagValues} from './table.js'

// Through require, not an ES import: on Node.js 22 and later the ES view of node:util reads every
// export, which loads worker_threads, locks and a diff module at every start (≈ 2.5 ms here).
const {parseArgs} = createRequire(import.meta.url)('node:util') as typeof NodeUtil

export interface ParsedArgv<T extends FlagTable> {
  /** The words that are not flags or their values, in order. */
  positionals: string[]
  flags: FlagValues<T>
}

/**
 * Reads argv against a flag table as oclif would, without loading oclif: for `bin/run.cjs`, where
 * oclif's own start-up costs several times a fully cached run. Only plain spellings are taken
 * (`--flag value`, `--flag=value`, `-f value`, a repeatable flag given again); anything else returns
 * undefined so that oclif parses it and owns the usage error: help, unknown flags, `--`, bundled or
 * attached short flags (`-j4`), a repeated single flag, a value missing, empty, starting with `-` or
 * not accepted. Values it returns are those oclif gives for the same argv (test/cli/flags).
 */
export function parsePlainArgv<T extends FlagTable>(table: T, argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgv<T> | undefined {
  const options: NonNullable<ParseArgsConfig['options']> = {}
  for (const [name, spec] of Object.entries(table)) {
    options[name] = {type: spec.type === 'boolean' ? 'boolean' : 'string', multiple: spec.multiple === true, ...(spec.char === undefined ? {} : {short: spec.char})}
  }
  let tokens
  try {
    ;({tokens} = parseArgs({args: [...argv], options, strict: true, allowPositionals: true, tokens: true}))
  } catch {
    // An unknown flag, a value missing or starting with `-`, a value given to a boolean flag.
    return undefined
  }
  const positionals: string[] = []
  const flags: Record<string, unknown> = {}
  let lastIndex = -1
  for (const token of tokens) {
    if (token.kind === 'option-terminator') return undefined
    if (token.kind === 'positional') {
      if (token.value.startsWith('-')) return undefined
      positionals.push(token.value)
      continue
    }
    // `-j4` (a value attached to a short flag) and `-ab` (bundled short flags: tokens of one word).
    if (!token.rawName.startsWith('--') && (token.inlineValue === true || token.index === lastIndex)) return undefined
    lastIndex = token.index
    const spec = table[token.name]!
    if (spec.multiple !== true && Object.hasOwn(flags, token.name)) return undefined
    if (spec.type === 'boolean') {
      flags[token.name] = true
      continue
    }
    const value = optionValue(spec, token.value!)
    if (value === undefined) return undefined
    if (spec.multiple === true) ((flags[token.name] ??= []) as unknown[]).push(value)
    else flags[token.name] = value
  }
  for (const [name, spec] of Object.entries(table)) {
    if (Object.hasOwn(flags, name)) continue
    const fromEnv = spec.env === undefined ? undefined : env[spec.env]
    if (fromEnv !== undefined && fromEnv !== '') {
      const value = spec.type === 'boolean' ? ['1', 'true', 'y', 'yes'].includes(fromEnv.toLowerCase()) : optionValue(spec, fromEnv)
      if (value === undefined) return undefined
      flags[name] = value
    } else if (spec.default !== undefined) {
      flags[name] = spec.default
    }
  }
  for (const [name, spec] of Object.entries(table)) {
    if (Object.hasOwn(flags, name) && spec.dependsOn?.some((other) => !Object.hasOwn(flags, other))) return undefined
  }
  return {positionals, flags: flags as FlagValues<T>}
}

/** A string or integer flag's value as oclif gives it, or undefined when oclif should judge it. */
function optionValue(spec: FlagSpec, text: string): string | number | undefined {
  if (text === '' || text.startsWith('-')) return undefined
  if (spec.options !== undefined && !spec.options.includes(text)) return undefined
  if (spec.type !== 'integer') return text
  const value = /^\d+$/.test(text) ? Number.parseInt(text, 10) : Number.NaN
  if (!Number.isSafeInteger(value)) return undefined
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) return undefined
  return value
}
