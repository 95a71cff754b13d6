/**
 * A command's flags as plain data: oclif's flag definitions (`oclifFlags`) and the fast parser of
 * `orca run` (`parsePlainArgv`) are both built from one table per command, so adding a flag touches
 * one place. Nothing here imports oclif: `orca run` reads its table without loading it.
 */
export interface FlagSpec {
  type: 'boolean' | 'string' | 'integer'
  /** One line for `--help` and docs/cli.md; repeatability, options, defaults and env are shown from the fields below. */
  description: string
  /** The one-letter short spelling (`-f`). */
  char?: string
  /** The only values accepted (string flags). */
  options?: readonly string[]
  default?: string | number | boolean
  /** Given once per value (`-e A=1 -e B=2`). A repeatable flag has neither a default nor an env variable. */
  multiple?: boolean
  /** An environment variable read when the flag is not given (an empty value counts as unset). */
  env?: string
  /** The value's name in help (`--junit=FILE`). */
  helpValue?: string
  /** Bounds of an integer flag. */
  min?: number
  max?: number
  /** Flags that must have a value when this one has. */
  dependsOn?: readonly string[]
}

/** A command's flags by their long name (without `--`). Order is the order of `--help`. */
export type FlagTable = Readonly<Record<string, FlagSpec>>

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'integer'
    ? number
    : S extends {options: readonly (infer Option extends string)[]}
      ? Option
      : string

/** What parsing gives for a flag: a list for a repeatable one, undefined when neither given nor defaulted. */
export type FlagValue<S extends FlagSpec> = S extends {multiple: true}
  ? Array<ValueOf<S>> | undefined
  : S extends {default: string | number | boolean}
    ? ValueOf<S>
    : ValueOf<S> | undefined

/** A table's flags once parsed, by long name: the same shape from oclif and from `parsePlainArgv`. */
export type FlagValues<T extends FlagTable> = {[Name in keyof T]: FlagValue<T[Name]>}
