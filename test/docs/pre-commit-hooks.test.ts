import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')

describe('.pre-commit-hooks.yaml', () => {
  it('publishes a hook that runs the package\'s own orca binary once per commit', () => {
    const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Array<Record<string, unknown>>
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {bin: Record<string, string>}
    expect(hooks).toHaveLength(1)
    const hook = hooks[0]!
    expect(hook).toMatchObject({id: 'orca-run', language: 'node', pass_filenames: false, always_run: true})
    const [command, subcommand] = String(hook.entry).split(' ')
    expect(Object.keys(pkg.bin)).toContain(command)
    expect(subcommand).toBe('run')
  })
})
