import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../../scripts/gen-docs.mjs'

// The examples of each command (its --help and docs/cli.md) are illustrations: they name runs, servers
// and pipelines that do not exist where a test runs them. So instead of running them, each is parsed
// against the command it calls: the command exists, every flag is one of its flags, every value is one
// its flag accepts, and a strict command gets no more arguments than it takes. A renamed flag or
// command cannot leave an example behind.

type Flag = {name: string; char?: string; type: 'option' | 'boolean'; options?: string[]; allowNo?: boolean}
type Command = {id: string; strict?: boolean; args?: Record<string, unknown>; flags?: Record<string, Flag>; examples?: Array<string | {command: string}>}

const manifestFile = join(ROOT, 'oclif.manifest.json')

/** Words of a shell line, quotes and `$(…)` kept whole; `&&`, `||`, `|`, `;` and `>` are words of their own. */
function shellWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote = ''
  let depth = 0
  const flush = (): void => {
    if (word) words.push(word)
    word = ''
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = ''
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
    } else if (c === '$' && line[i + 1] === '(') {
      depth++
      word += '$('
      i++
    } else if (depth > 0) {
      if (c === ')') depth--
      word += c
    } else if (/\s/.test(c)) {
      flush()
    } else if ('|&;>'.includes(c)) {
      flush()
      const two = line.slice(i, i + 2)
      words.push(two === '&&' || two === '||' ? two : c)
      if (two === '&&' || two === '||') i++
    } else {
      word += c
    }
  }
  flush()
  return words
}

/** What is wrong with each `orca …` call in an example line (nothing: it parses). */
function problems(line: string, commands: Record<string, Command>, bin = 'orca'): string[] {
  const out: string[] = []
  const segments: string[][] = [[]]
  for (const word of shellWords(line)) {
    if (['&&', '||', '|', ';'].includes(word)) segments.push([])
    else segments.at(-1)!.push(word)
  }
  for (const words of segments) {
    // Assignments before the command, and a redirection's target, are not part of it.
    while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) words.shift()
    const redirect = words.indexOf('>')
    if (redirect >= 0) words.splice(redirect, 2)
    if (words[0] !== bin) continue
    let idLength = 0
    for (let n = 1; n < words.length && !words[n]!.startsWith('-'); n++) if (commands[words.slice(1, n + 1).join(':')]) idLength = n
    const command = commands[words.slice(1, idLength + 1).join(':')]
    if (!command) {
      out.push(`no command "${words.slice(1).join(' ')}"`)
      continue
    }
    const flags = Object.values(command.flags ?? {})
    const positional: string[] = []
    const rest = words.slice(idLength + 1)
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i]!
      if (!word.startsWith('-') || word === '-') {
        positional.push(word)
        continue
      }
      if (word === '--help' || word === '-h') continue
      // `--` ends the flags: what follows is a command's own words (orca shell RUN JOB -- COMMAND).
      if (word === '--') {
        positional.push(...rest.slice(i + 1))
        break
      }
      const [name, inline] = word.split(/=(.*)/s) as [string, string | undefined]
      const flag = name.startsWith('--') ? flags.find((f) => f.name === name.slice(2) || (f.allowNo && `no-${f.name}` === name.slice(2))) : flags.find((f) => f.char === name.slice(1))
      if (!flag) {
        out.push(`${command.id}: no flag ${name}`)
        continue
      }
      if (flag.type === 'boolean') continue
      const value = inline ?? rest[++i]
      if (value === undefined) out.push(`${command.id}: ${name} needs a value`)
      else if (flag.options && !flag.options.includes(value)) out.push(`${command.id}: ${name} does not take "${value}" (${flag.options.join(', ')})`)
    }
    const takes = Object.keys(command.args ?? {}).length
    if (command.strict !== false && positional.length > takes) out.push(`${command.id}: takes ${takes} argument(s), got ${positional.join(' ')}`)
  }
  return out
}

describe('the examples of every command (--help, docs/cli.md)', () => {
  it('call commands, flags and values that exist', () => {
    expect(existsSync(manifestFile), 'oclif.manifest.json is missing: run `npm run build`').toBe(true)
    const {commands} = JSON.parse(readFileSync(manifestFile, 'utf8')) as {commands: Record<string, Command>}
    const found: string[] = []
    let count = 0
    for (const command of Object.values(commands)) {
      for (const example of command.examples ?? []) {
        const line = (typeof example === 'string' ? example : example.command).replaceAll('<%= config.bin %>', 'orca').replaceAll('<%= command.id %>', command.id.split(':').join(' '))
        count++
        for (const problem of problems(line, commands)) found.push(`${line}\n  ${problem}`)
      }
    }
    expect(found).toEqual([])
    expect(count).toBeGreaterThan(20)
  })

  it('notice a flag, a value, a command or an argument that does not exist (the check is not vacuous)', () => {
    const commands: Record<string, Command> = {
      'cache:ls': {id: 'cache:ls', flags: {json: {name: 'json', type: 'boolean'}}},
      run: {id: 'run', strict: false, flags: {output: {name: 'output', char: 'o', type: 'option', options: ['plain', 'json']}, cache: {name: 'cache', type: 'boolean', allowNo: true}}},
      show: {id: 'show', args: {run: {}}},
    }
    expect(problems('orca run a b --output json --no-cache > out.ndjson && orca cache ls --json | jq .', commands)).toEqual([])
    expect(problems('X=$(openssl rand -hex 4) orca show latest -h', commands)).toEqual([])
    expect(problems('orca run --output=yaml', commands)).toEqual(['run: --output does not take "yaml" (plain, json)'])
    expect(problems('orca run -o', commands)).toEqual(['run: -o needs a value'])
    expect(problems('orca cache ls --all', commands)).toEqual(['cache:ls: no flag --all'])
    expect(problems('orca cache list', commands)).toEqual(['no command "cache list"'])
    expect(problems('orca show a b', commands)).toEqual(['show: takes 1 argument(s), got a b'])
  })
})
