import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')

describe('.pre-commit-hooks.yaml', () => {
  it('publishes a hook that runs this release of the package once per commit', () => {
    const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Array<Record<string, unknown>>
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {name: string; version: string}
    expect(hooks).toHaveLength(1)
    const hook = hooks[0]!
    expect(hook).toMatchObject({id: 'orca-run', language: 'system', pass_filenames: false, always_run: true})
    // The package pinned to this version (a tag of this repository names the release it runs), then `run`.
    const pkgBin = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {bin: Record<string, string>}
    expect(String(hook.entry).split(' ')).toEqual(['npx', '--yes', '--prefer-offline', '--package', `${pkg.name}@${pkg.version}`, ...Object.keys(pkgBin.bin), 'run', '--output', 'plain'])
  })
})
