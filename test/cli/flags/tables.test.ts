import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Command} from '@oclif/core'
import {describe, expect, it} from 'vitest'

const COMMANDS_DIR = fileURLToPath(new URL('../../../src/commands/', import.meta.url))

/** Every command's flags as oclif gets them (built from the command's table). */
const commands = await Promise.all(
  readdirSync(COMMANDS_DIR, {recursive: true, encoding: 'utf8'})
    .filter((file) => file.endsWith('.ts'))
    .sort()
    .map(async (file) => {
      const {default: command} = (await import(join(COMMANDS_DIR, file))) as {default: Command.Class}
      return [file, Object.entries(command.flags ?? {})] as const
    }),
)

describe.each(commands)('the flags of %s', (_file, flags) => {
  it('leave "repeatable" to help and docs/cli.md, which say it of every repeatable flag', () => {
    expect(flags.filter(([, flag]) => /repeatable/i.test(flag.description ?? '')).map(([name]) => name)).toEqual([])
  })

  it('take one value per repeatable flag, without a default or an environment variable', () => {
    for (const [name, flag] of flags.filter(([, f]) => f.type === 'option' && f.multiple)) {
      expect({name, nonGreedy: 'multipleNonGreedy' in flag && flag.multipleNonGreedy, default: flag.default, env: flag.env}).toEqual({name, nonGreedy: true, default: undefined, env: undefined})
    }
  })

  it('list the flags with a letter first, so help lines every flag up (oclif trims its first row)', () => {
    const lettered = flags.map(([, flag]) => flag.char !== undefined)
    expect(lettered).toEqual([...lettered].sort((a, b) => Number(b) - Number(a)))
  })

  it('have distinct short names, a default among the options, and depend only on flags of the command', () => {
    const chars = flags.flatMap(([, flag]) => (flag.char ? [flag.char] : []))
    expect(new Set(chars).size).toBe(chars.length)
    for (const [name, flag] of flags) {
      if (flag.type === 'option' && flag.options && flag.default !== undefined) expect(flag.options, name).toContain(flag.default)
      for (const other of flag.dependsOn ?? []) expect(flags.map(([n]) => n), name).toContain(other)
    }
  })
})
