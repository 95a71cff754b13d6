import {Parser} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {parseRunArgv, runArgsFromOclif, type RunArgs} from '../../src/cli/run-argv.js'
import {runOptionsOf} from '../../src/cli/run-pipeline.js'
import Run from '../../src/commands/run.js'

/** What oclif makes of argv for `orca run` (its usage error when it rejects it). */
async function oclifParse(argv: readonly string[]): Promise<RunArgs | Error> {
  try {
    return runArgsFromOclif(await Parser.parse([...argv], {flags: Run.flags, args: Run.args, strict: Run.strict}))
  } catch (error) {
    return error as Error
  }
}

const run = (targets: string[], flags: Record<string, unknown> = {}) => ({targets, flags: {output: 'auto', ...flags}})

describe('orca run: the fast start reads argv as oclif does', () => {
  it.each([
    [[], run([])],
    [['build-and-test'], run(['build-and-test'])],
    [['a', 'b', '--no-cache'], run(['a', 'b'], {'no-cache': true})],
    [['-f', 'ci/jobs.yml', '-j', '4', '--fail-fast', 'test'], run(['test'], {file: 'ci/jobs.yml', concurrency: 4, 'fail-fast': true})],
    [['--file=ci/jobs.yml', '--concurrency=2'], run([], {file: 'ci/jobs.yml', concurrency: 2})],
    [['-j', '04'], run([], {concurrency: 4})],
    [['--output', 'json', '--dry-run'], run([], {output: 'json', 'dry-run': true})],
    [['--dry-run', '--inputs', 'build'], run(['build'], {'dry-run': true, inputs: true})],
    [['--output=plain', '--junit', 'reports/a=b.xml'], run([], {output: 'plain', junit: 'reports/a=b.xml'})],
    [['--cleanup', 'remove_on_completion', 'build'], run(['build'], {cleanup: 'remove_on_completion'})],
    [['-e', 'A=1', 'build', '--env', 'B=2', '-e', 'C=x=y', 'test'], run(['build', 'test'], {env: ['A=1', 'B=2', 'C=x=y']})],
    [['--env=NODE_ENV=test', 'a b'], run(['a b'], {env: ['NODE_ENV=test']})],
    [['-f', 'my jobs.yml', '--no-cache', '--fail-fast', '--dry-run', 'x'], run(['x'], {file: 'my jobs.yml', 'no-cache': true, 'fail-fast': true, 'dry-run': true})],
  ])('%j', async (argv, expected) => {
    expect(parseRunArgv(argv, {})).toEqual(expected)
    expect(await oclifParse(argv)).toEqual(expected)
  })

  it('keeps targets in the order given, also where a target is the value of a flag before it', async () => {
    // oclif's own argv gives [ci.yml, test, test, build]: each word moved to where it first appears.
    const argv = ['-f', 'ci.yml', 'test', '-e', 'A=1', 'build', 'test', 'ci.yml']
    const expected = run(['test', 'build', 'test', 'ci.yml'], {file: 'ci.yml', env: ['A=1']})
    expect(parseRunArgv(argv, {})).toEqual(expected)
    expect(await oclifParse(argv)).toEqual(expected)
  })

  it('maps what either parser read to the same run options', async () => {
    const argv = ['--output=json', 'build', '-e', 'A=1', '--no-cache', '-e', 'B=x=y', '-i', '--keep-for', '90m', '--watch']
    const options = runOptionsOf(parseRunArgv(argv, {})!)
    expect(runOptionsOf((await oclifParse(argv)) as RunArgs)).toEqual(options)
    expect(options).toEqual({
      targets: ['build'],
      concurrency: undefined,
      noCache: true,
      dryRun: false,
      inputs: false,
      failFast: false,
      output: 'json',
      junit: undefined,
      cleanup: undefined,
      needsFromCache: false,
      envOverrides: {A: '1', B: 'x=y'},
      interactive: true,
      keepForMs: 90 * 60_000,
      watch: true,
    })
  })
})

describe('orca run: anything unusual is left to oclif', () => {
  it.each([
    // oclif's usage errors (and help, which oclif answers before parsing).
    [['--help'], /Nonexistent flag: --help/],
    [['-h'], /Nonexistent flag: -h/],
    [['--version'], /Nonexistent flag: --version/],
    [['--unknown'], /Nonexistent flag: --unknown/],
    [['--out', 'json'], /Nonexistent flag: --out/],
    [['-j', '0'], /greater than or equal to 1/],
    [['-j', 'four'], /Expected an integer/],
    [['-j', '1', '-j', '2'], /can only be specified once/],
    [['--output', 'fancy'], /Expected --output=fancy to be one of: auto, tty, plain, json/],
    [['--cleanup=sometimes'], /to be one of: always_remove/],
    [['-f'], /Flag --file expects a value/],
    [['-f', '--dry-run'], /Flag --file expects a value/],
    [['-e'], /Flag --env expects a value/],
    [['--inputs'], /--dry-run/],
    // Spellings oclif reads, in its own way.
    [['-j4'], run([], {concurrency: 4})],
    [['-fjobs.yml'], run([], {file: 'jobs.yml'})],
    [['--', 'build'], run(['build'])],
    [['--file='], run([], {file: ''})],
    [['-f', '-'], run([], {file: '-'})],
    [['-e', '-x'], run([], {env: ['-x']})],
    [['-'], run(['-'])],
    [['--dry-run', '--dry-run'], run([], {'dry-run': true})],
    [['--no-cache=yes'], run(['yes'], {'no-cache': true})],
  ])('%j', async (argv, oclif) => {
    expect(parseRunArgv(argv, {})).toBeUndefined()
    const parsed = await oclifParse(argv)
    if (oclif instanceof RegExp) expect(parsed instanceof Error ? parsed.message : parsed).toMatch(oclif)
    else expect(parsed).toEqual(oclif)
  })

  it('agrees with oclif on every argv it takes, over argv built from a vocabulary of spellings', async () => {
    const words = ['build', 'test', '-f', 'ci.yml', '--file=x.yml', '-j', '2', '--concurrency=3', '-j4', '--no-cache', '--dry-run', '--fail-fast', '--needs-from-cache',
      '--output', 'json', '--output=plain', 'fancy', '--junit', 'r.xml', '--cleanup', 'never_remove', '-e', 'A=1', '--env=B=2', '--', '-', '--help', '-x', '0', '']
    let seed = 42
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    let taken = 0
    for (let i = 0; i < 1500; i++) {
      const argv = Array.from({length: Math.floor(next() * 7)}, () => words[Math.floor(next() * words.length)]!)
      const fast = parseRunArgv(argv, {})
      if (fast === undefined) continue
      taken++
      const oclif = await oclifParse(argv)
      if (oclif instanceof Error) throw new Error(`oclif rejects ${JSON.stringify(argv)}, which the fast start takes`, {cause: oclif})
      expect(oclif, JSON.stringify(argv)).toEqual(fast)
    }
    // Enough of them are taken for the comparison to mean something.
    expect(taken).toBeGreaterThan(400)
  })
})
