import {Parser} from '@oclif/core'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {oclifFlags} from '../../../src/cli/flags/oclif.js'
import {parsePlainArgv} from '../../../src/cli/flags/plain-argv.js'
import type {FlagTable} from '../../../src/cli/flags/table.js'

/** Every field a table may use, on flags no command has (yet). */
const table = {
  token: {type: 'string', env: 'PLAIN_ARGV_TOKEN', description: 'a token'},
  verbose: {type: 'boolean', char: 'v', env: 'PLAIN_ARGV_VERBOSE', description: 'say more'},
  port: {type: 'integer', min: 0, max: 65535, default: 7070, description: 'a port'},
  level: {type: 'string', options: ['low', 'high'], default: 'low', description: 'a level'},
  id: {type: 'integer', char: 'i', multiple: true, description: 'an id'},
  since: {type: 'string', dependsOn: ['verbose'], description: 'only with --verbose'},
} as const satisfies FlagTable

const flags = oclifFlags(table)

async function oclifParse(argv: string[]): Promise<unknown> {
  try {
    const {argv: positionals, flags: values} = await Parser.parse(argv, {flags, strict: false})
    return {positionals, flags: values}
  } catch (error) {
    return error
  }
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('parsePlainArgv gives what oclif gives for the same table', () => {
  it.each<[string[], Record<string, string>, Record<string, unknown>]>([
    [[], {}, {port: 7070, level: 'low'}],
    [['--port', '0', '--level=high'], {}, {port: 0, level: 'high'}],
    [['--port=65535'], {}, {port: 65535, level: 'low'}],
    [['-i', '1', 'x', '--id=2', '-i', '3'], {}, {port: 7070, level: 'low', id: [1, 2, 3]}],
    [['-v', '--since', '1d'], {}, {port: 7070, level: 'low', verbose: true, since: '1d'}],
    [[], {PLAIN_ARGV_TOKEN: 'secret'}, {port: 7070, level: 'low', token: 'secret'}],
    [['--token', 'given'], {PLAIN_ARGV_TOKEN: 'secret'}, {port: 7070, level: 'low', token: 'given'}],
    [[], {PLAIN_ARGV_TOKEN: ''}, {port: 7070, level: 'low'}],
    [[], {PLAIN_ARGV_VERBOSE: 'yes'}, {port: 7070, level: 'low', verbose: true}],
    [[], {PLAIN_ARGV_VERBOSE: '0'}, {port: 7070, level: 'low', verbose: false}],
    [['--since', '1d'], {PLAIN_ARGV_VERBOSE: 'true'}, {port: 7070, level: 'low', verbose: true, since: '1d'}],
  ])('%j with env %j', async (argv, env, expected) => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
    const positionals = argv.includes('x') ? ['x'] : []
    expect(parsePlainArgv(table, argv, env)).toEqual({positionals, flags: expected})
    expect(await oclifParse(argv)).toEqual({positionals, flags: expected})
  })

  it.each<[string[], Record<string, string>, RegExp | object]>([
    [['--port', '65536'], {}, /less than or equal to 65535/],
    [['--port', '1.5'], {}, /Expected an integer/],
    [['--level', 'medium'], {}, /to be one of: low, high/],
    [['--since', '1d'], {}, /All of the following must be provided when using --since: --verbose/],
    [[], {PLAIN_ARGV_TOKEN: '-x'}, {positionals: [], flags: {port: 7070, level: 'low', token: '-x'}}],
    [['-vi', '1'], {}, {positionals: [], flags: {port: 7070, level: 'low', verbose: true, id: [1]}}],
    [['-i2'], {}, {positionals: [], flags: {port: 7070, level: 'low', id: [2]}}],
  ])('leaves %j with env %j to oclif', async (argv, env, oclif) => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
    expect(parsePlainArgv(table, argv, env)).toBeUndefined()
    const parsed = await oclifParse(argv)
    if (oclif instanceof RegExp) expect(parsed instanceof Error ? parsed.message : parsed).toMatch(oclif)
    else expect(parsed).toEqual(oclif)
  })

  it('takes a value from the environment only when the table names a variable', () => {
    expect(parsePlainArgv(table, [], {token: 'x', TOKEN: 'y'})).toEqual({positionals: [], flags: {port: 7070, level: 'low'}})
  })
})
