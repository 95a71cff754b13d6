import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {cliReference, ROOT} from '../../scripts/gen-docs.mjs'

describe('docs/cli.md', () => {
  it('is what scripts/gen-docs.mjs makes of the commands (oclif.manifest.json)', () => {
    const manifestFile = join(ROOT, 'oclif.manifest.json')
    expect(existsSync(manifestFile), 'oclif.manifest.json is missing: run `npm run build` (it lists the commands)').toBe(true)
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as object
    const committed = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8')
    expect(committed, 'docs/cli.md is stale: run `npm run build && npm run docs` (node scripts/gen-docs.mjs)').toBe(cliReference(manifest))
  })

  it('renders a command with its usage, arguments, flags and examples', () => {
    const manifest = {
      commands: {
        'cache:ls': {id: 'cache:ls', summary: 'List.', description: 'Lists.', args: {}, flags: {json: {name: 'json', type: 'boolean', description: 'as JSON'}}, examples: ['<%= config.bin %> <%= command.id %> --json']},
        run: {
          id: 'run',
          strict: false,
          summary: 'Run.',
          args: {targets: {name: 'targets', description: 'jobs to run'}},
          flags: {file: {name: 'file', char: 'f', type: 'option', description: 'pipeline file', default: 'jobs.yml'}, hidden: {name: 'hidden', type: 'boolean', hidden: true}},
          examples: [{description: 'Everything.', command: '<%= config.bin %> <%= command.id %>'}],
        },
      },
    }
    const page = cliReference(manifest)
    expect(page).toContain('## `orca cache ls`\n\nList.\n\n```\norca cache ls [FLAGS]\n```\n\nLists.')
    expect(page).toContain('| `--json` | as JSON |')
    expect(page).toContain('```\norca run [TARGETS...] [FLAGS]\n```')
    expect(page).toContain('| `-f, --file=VALUE` | pipeline file; default `jobs.yml` |')
    expect(page).toContain('Everything:\n\n```bash\norca run\n```')
    expect(page).not.toContain('hidden')
    expect(page.indexOf('orca cache ls')).toBeLessThan(page.indexOf('## `orca run`'))
  })

  it("names a flag's value as help does and says which variable it comes from", () => {
    const flags = {
      junit: {name: 'junit', type: 'option', description: 'write a report to FILE', helpValue: 'FILE'},
      token: {name: 'token', type: 'option', description: 'a bearer token', env: 'ORCA_TOKEN'},
    }
    const page = cliReference({commands: {serve: {id: 'serve', summary: 'Serve.', args: {}, flags}}})
    expect(page).toContain('| `--junit=FILE` | write a report to FILE |')
    expect(page).toContain('| `--token=VALUE` | a bearer token; from `ORCA_TOKEN` when not given |')
  })

  it('says a flag is repeatable once, whether or not its description already does', () => {
    const flags = {
      env: {name: 'env', type: 'option', multiple: true, description: 'set a variable (KEY=VALUE, repeatable)'},
      target: {name: 'target', type: 'option', multiple: true, description: 'job to run'},
    }
    const page = cliReference({commands: {run: {id: 'run', summary: 'Run.', args: {}, flags}}})
    expect(page).toContain('| `--env=VALUE` | set a variable (KEY=VALUE, repeatable) |')
    expect(page).toContain('| `--target=VALUE` | job to run; repeatable |')
    expect(page.match(/repeatable/g)).toHaveLength(2)
  })
})
