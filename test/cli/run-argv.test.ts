import {Parser} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {parseRunArgv, RUN_FLAGS, type RunArgs} from '../../src/cli/run-argv.js'
import Run from '../../src/commands/run.js'

/** What oclif makes of argv for `orca run`, in the fast parser's shape. */
async function oclifParse(argv: string[]): Promise<RunArgs> {
  const {argv: targets, flags} = await Parser.parse(argv, {flags: Run.flags, args: Run.args, strict: Run.strict})
  return {
    targets: targets as string[],
    file: flags.file,
    concurrency: flags.concurrency,
    noCache: flags['no-cache'] ?? false,
    dryRun: flags['dry-run'] ?? false,
    inputs: flags.inputs ?? false,
    failFast: flags['fail-fast'] ?? false,
    output: flags.output as RunArgs['output'],
    junit: flags.junit,
    cleanup: flags.cleanup as RunArgs['cleanup'],
    env: flags.env ?? [],
  }
}

const drop = <T extends object>(value: T): T => JSON.parse(JSON.stringify(value)) as T

describe('parseRunArgv (the fast start of `orca run`)', () => {
  it('knows every flag of the oclif command, with the same spelling, short name and options', () => {
    const expected: Record<string, {type: string; options?: readonly string[]}> = {}
    for (const [name, flag] of Object.entries(Run.flags)) {
      const type = flag.type === 'boolean' ? 'boolean' : flag.multiple ? 'multiple' : name === 'concurrency' ? 'integer' : 'string'
      const options = 'options' in flag ? flag.options : undefined
      const spec = {type, ...(options ? {options} : {})}
      expected[`--${name}`] = spec
      if (flag.char) expected[`-${flag.char}`] = spec
    }
    const actual = Object.fromEntries(Object.entries(RUN_FLAGS).map(([spelling, spec]) => [spelling, {type: spec.type, ...('options' in spec && spec.options ? {options: spec.options} : {})}]))
    expect(actual).toEqual(expected)
  })

  it.each([
    [[]],
    [['build-and-test']],
    [['a', 'b', '--no-cache']],
    [['-f', 'ci/jobs.yml', '-j', '4', '--fail-fast', 'test']],
    [['--file=ci/jobs.yml', '--concurrency=2']],
    [['--output', 'json', '--dry-run']],
    [['--dry-run', '--inputs', 'build']],
    [['--output=plain', '--junit', 'reports/orca.xml']],
    [['--cleanup', 'remove_on_completion', 'build']],
    [['-e', 'A=1', 'build', '--env', 'B=2', '-e', 'C=x=y', 'test']],
    [['--env=NODE_ENV=test']],
  ])('reads %j as oclif does', async (argv) => {
    const fast = parseRunArgv(argv)
    expect(fast).toBeDefined()
    expect(drop(fast!)).toEqual(drop(await oclifParse(argv)))
  })

  it.each([
    [['--help']],
    [['-h']],
    [['--version']],
    [['--unknown']],
    [['--', 'build']],
    [['-fjobs.yml']],
    [['-j', '0']],
    [['-j', 'four']],
    [['-j', '1', '-j', '2']],
    [['--output', 'fancy']],
    [['--cleanup=sometimes']],
    [['--no-cache=yes']],
    [['-f']],
    [['-f', '--dry-run']],
    [['--file=']],
    [['-e']],
    [['--inputs']],
  ])('leaves %j to oclif', (argv) => {
    expect(parseRunArgv(argv)).toBeUndefined()
  })
})
