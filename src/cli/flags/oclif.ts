import {Flags} from '@oclif/core'
import type {BooleanFlag, OptionFlag} from '@oclif/core/interfaces'

import type {FlagSpec, FlagTable, FlagValue} from './table.js'

type OclifFlag<S extends FlagSpec> = S['type'] extends 'boolean' ? BooleanFlag<FlagValue<S>> : OptionFlag<FlagValue<S>>

/** A command's oclif flags (`static flags`), built from its table; `this.parse` then gives `FlagValues<T>`. */
export type OclifFlags<T extends FlagTable> = {[Name in keyof T]: OclifFlag<T[Name]>}

export function oclifFlags<const T extends FlagTable>(table: T): OclifFlags<T> {
  // Flags with a letter are listed first: oclif's help trims the first row of its flag list, which
  // puts a first flag without a letter out of line with the rest.
  const entries = Object.entries(table)
  const ordered = [...entries.filter(([, spec]) => spec.char !== undefined), ...entries.filter(([, spec]) => spec.char === undefined)]
  return Object.fromEntries(ordered.map(([name, spec]) => [name, oclifFlag(spec)])) as OclifFlags<T>
}

type Letter = NonNullable<BooleanFlag<boolean>['char']>

function oclifFlag(spec: FlagSpec): BooleanFlag<unknown> | OptionFlag<unknown> {
  // Only the fields a spec sets: oclif treats a present key (e.g. `default: undefined`) as set.
  const common = {
    description: spec.description,
    ...(spec.char === undefined ? {} : {char: spec.char as Letter}),
    ...(spec.env === undefined ? {} : {env: spec.env}),
    ...(spec.dependsOn === undefined ? {} : {dependsOn: [...spec.dependsOn]}),
  }
  if (spec.type === 'boolean') return Flags.boolean({...common, ...(spec.default === undefined ? {} : {default: spec.default as boolean})})
  const option = {...common, ...(spec.helpValue === undefined ? {} : {helpValue: spec.helpValue})}
  if (spec.type === 'integer') {
    const integer = {...option, ...(spec.min === undefined ? {} : {min: spec.min}), ...(spec.max === undefined ? {} : {max: spec.max})}
    if (spec.multiple) return Flags.integer({...integer, ...REPEATABLE}) as OptionFlag<unknown>
    return Flags.integer({...integer, ...(spec.default === undefined ? {} : {default: spec.default as number})}) as OptionFlag<unknown>
  }
  const string = {...option, ...(spec.options === undefined ? {} : {options: spec.options})}
  if (spec.multiple) return Flags.string({...string, ...REPEATABLE}) as OptionFlag<unknown>
  return Flags.string({...string, ...(spec.default === undefined ? {} : {default: spec.default as string})}) as OptionFlag<unknown>
}

// One value per flag, as `parsePlainArgv` reads it: a word after the value is an argument, not a second value.
const REPEATABLE = {multiple: true, multipleNonGreedy: true} as const
