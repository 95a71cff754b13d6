import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join, resolve} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {documentationPages, examplesOf, shellCommands, type Example} from '../docs/examples.js'
import {ORCA_BIN, orca, readJson, removeRunContainers, runProgram} from './cli.js'

// Every example in the README and docs/ runs, so the docs cannot drift from orca:
// - the shell blocks of a page run in order in one shell, as a reader following the page would type
//   them: in a new git repository, with HOME a new folder and `orca` the built CLI on PATH; every
//   command must succeed. A block that cannot run says why on the line above it
//   (`<!-- example: not run — REASON -->`); hidden setup goes there too (`<!-- example: setup — CMDS -->`).
// - every jobs.yml snippet (a YAML block with `jobs`) passes `orca validate`, an orca.config.yml
//   snippet (first line `# orca.config.yml`) is a configuration `orca validate` accepts, and a
//   `$schema` line names a schema orca ships; any other YAML block must say why it is not checked.
// docs/cli.md, generated from the commands' examples, is checked by test/docs/cli-examples.test.ts.

const ROOT = resolve(import.meta.dirname, '../..')
const pkg = readJson<{name: string; version: string}>(join(ROOT, 'package.json'))
const pages = documentationPages(ROOT).map(({page, text}) => ({page, examples: examplesOf(page, text)}))

const sandboxes: string[] = []
afterAll(() => {
  for (const dir of sandboxes) {
    for (const runs of findRunFolders(dir)) for (const run of readdirSync(runs)) removeRunContainers(run)
    rmSync(dir, {recursive: true, force: true})
  }
})

function findRunFolders(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (!entry.isDirectory() || entry.isSymbolicLink()) continue
    const path = join(dir, entry.name)
    if (entry.name === 'runs' && basename(dir) === '.orca') found.push(path)
    else if (entry.name !== 'node_modules' && entry.name !== '.git') found.push(...findRunFolders(path))
  }
  return found
}

/** A reader's machine: HOME, a project folder that is a git repository, and `orca` on PATH. */
function sandbox(): {home: string; project: string; env: NodeJS.ProcessEnv} {
  const dir = mkdtempSync(join(tmpdir(), 'orca-docs-'))
  sandboxes.push(dir)
  const home = join(dir, 'home')
  const project = join(home, 'project')
  const bin = join(dir, 'bin')
  mkdirSync(project, {recursive: true})
  mkdirSync(bin)
  writeFileSync(join(bin, 'orca'), `#!/bin/sh\nexec "${process.execPath}" "${ORCA_BIN}" "$@"\n`)
  chmodSync(join(bin, 'orca'), 0o755)
  execFileSync('git', ['init', '-q'], {cwd: project})
  const env = {HOME: home, PATH: `${bin}:${process.env.PATH}`, ORCA_REPO: ROOT, GIT_AUTHOR_NAME: 'docs', GIT_AUTHOR_EMAIL: 'docs@example.com', GIT_COMMITTER_NAME: 'docs', GIT_COMMITTER_EMAIL: 'docs@example.com', NO_COLOR: '1', FORCE_COLOR: undefined}
  return {home, project, env}
}

/** One bash script for a page's runnable blocks; a failure names the block it happened in. */
function pageScript(examples: Example[]): string {
  const parts = ['set -eo pipefail', 'trap \'echo "example failed: $__example" >&2\' ERR']
  for (const example of examples) {
    parts.push(`__example=${JSON.stringify(example.where)}`)
    if (example.setup) parts.push(example.setup)
    parts.push(shellCommands(example)!)
  }
  return `${parts.join('\n')}\n`
}

const isRunnable = (e: Example): boolean => shellCommands(e) !== undefined && e.notRun === undefined

describe('examples in the documentation', () => {
  it('the pages have examples to run (the check is not vacuous)', () => {
    expect(pages.flatMap(({examples}) => examples.filter(isRunnable)).length).toBeGreaterThan(5)
  })

  it.each(pages.filter(({examples}) => examples.some(isRunnable)).map(({page, examples}) => [page, examples.filter(isRunnable)] as const))(
    '%s: its shell examples run, in order, in a new project',
    async (_page, examples) => {
      const {project, env} = sandbox()
      const result = await runProgram('bash', ['-c', pageScript(examples)], {cwd: project, env})
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)
    },
    240_000,
  )

  const yamlBlocks = pages.flatMap(({examples}) => examples.filter((e) => ['yaml', 'yml'].includes(e.language)))

  it.each(yamlBlocks.filter((e) => e.notRun === undefined).map((e) => [e.where, e] as const))('%s: the YAML example is valid', async (_where, example) => {
    const {project, env} = sandbox()
    const doc = parse(example.text) as unknown
    const firstLine = example.text.split('\n')[0]!
    if (doc === null && firstLine.startsWith('# yaml-language-server: $schema=')) {
      expect(shippedSchema(firstLine.replace('# yaml-language-server: $schema=', '')), firstLine).toBe(true)
    } else if (firstLine.trim() === '# orca.config.yml') {
      writeFileSync(join(project, 'orca.config.yml'), example.text)
      writeFileSync(join(project, 'jobs.yml'), 'version: 1\njobs:\n  hello:\n    image: busybox:1.36\n    steps: ["echo hi"]\n')
      const result = await orca(['validate'], {cwd: project, env})
      expect(result.code, result.stderr).toBe(0)
    } else if (typeof doc === 'object' && doc !== null && 'jobs' in doc) {
      writeFileSync(join(project, 'example.yml'), example.text)
      const result = await orca(['validate', '-f', 'example.yml'], {cwd: project, env})
      expect(result.code, result.stderr).toBe(0)
    } else {
      expect.fail(`${example.where}: not a jobs.yml, an orca.config.yml or a $schema line; say why it is not checked with <!-- example: not run — why -->`)
    }
  })
})

/** A `$schema` reference names a schema in the package: in node_modules, or the published copy of this version. */
function shippedSchema(reference: string): boolean {
  const local = new RegExp(`^\\./node_modules/${pkg.name}/(schemas/[\\w.-]+\\.json)$`).exec(reference)
  const published = new RegExp(`^https://cdn\\.jsdelivr\\.net/npm/${pkg.name}@${pkg.version.replaceAll('.', '\\.')}/(schemas/[\\w.-]+\\.json)$`).exec(reference)
  const file = (local ?? published)?.[1]
  return file !== undefined && existsSync(join(ROOT, file))
}
