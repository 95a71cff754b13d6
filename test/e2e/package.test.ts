import {execFileSync} from 'node:child_process'
import {cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join, resolve} from 'node:path'

import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {type CliResult, readJson, removeRunContainers, runDirs, runProgram} from './cli.js'

// The npm package as a user gets it: packed from a clean copy of the repository (the files git
// tracks, built by the prepare script), installed globally into a temporary prefix, then used from
// folders that have nothing of the repository.
// Needs the npm registry for orca's dependencies, as every user's install does.

const ROOT = resolve(import.meta.dirname, '../..')
const pkg = readJson<{name: string; version: string}>(join(ROOT, 'package.json'))
const TARBALL = `${pkg.name}-${pkg.version}.tgz`

let work: string
let prefix: string
let packed: CliResult
let installed: CliResult
let tarballFiles: string[]

/** A user's shell: no npm_* variables from `npm test`, and on PATH the prefix's bin and this node, nothing of the repository. */
function userEnv(): NodeJS.ProcessEnv {
  const inherited = Object.keys(process.env).filter((k) => /^npm_/i.test(k))
  const path = (process.env.PATH ?? '').split(':').filter((dir) => dir && !resolve(dir).startsWith(ROOT))
  return {
    ...Object.fromEntries(inherited.map((k) => [k, undefined])),
    PATH: [join(prefix, 'bin'), dirname(process.execPath), ...path].join(':'),
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
  }
}

const installedOrca = (args: string[], cwd: string): Promise<CliResult> => runProgram(join(prefix, 'bin/orca'), args, {cwd, env: userEnv()})
const npm = (args: string[], cwd: string): Promise<CliResult> => runProgram('npm', args, {cwd, env: userEnv()})

/** A new, empty folder under the test's temp dir. */
function folder(name: string): string {
  const dir = join(work, name)
  mkdirSync(dir, {recursive: true})
  return dir
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'orca-package-'))
  prefix = join(work, 'prefix')
  // What a clone has: git's files (tracked and new, not ignored), as they are in the working tree.
  const source = folder('source')
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {cwd: ROOT, encoding: 'utf8'}).split('\0').filter(Boolean)
  for (const file of files) if (existsSync(join(ROOT, file))) cpSync(join(ROOT, file), join(source, file))
  // The build tools, as `npm ci` would put them there (node_modules is never packed).
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'))
  packed = await npm(['pack', '--pack-destination', work], source)
  expect(packed.stderr).not.toContain('npm error')
  expect(packed.code).toBe(0)
  tarballFiles = execFileSync('tar', ['-tzf', join(work, TARBALL)], {encoding: 'utf8'}).split('\n').filter(Boolean)
  installed = await npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', `./${TARBALL}`], work)
}, 300_000)

afterAll(() => {
  if (!work) return
  for (const project of readdirSync(work).map((n) => join(work, n))) for (const run of runDirs(project)) removeRunContainers(basename(run))
  rmSync(work, {recursive: true, force: true})
})

describe('the npm package', () => {
  it('npm pack prints only the tarball name (tools read it from stdout), the build\'s output stays in npm\'s log', () => {
    expect(packed.stdout).toBe(`${TARBALL}\n`)
  })

  it('ships the CLI, its fast path, the command manifest, schemas and templates, and no tests, sources, docs or source maps', () => {
    for (const file of ['bin/run.cjs', 'dist/fast/run.js', 'dist/commands/run.js', 'oclif.manifest.json', 'schemas/jobs.schema.json', 'schemas/config.schema.json', 'templates/settings.yml', 'templates/ci/github.yml', 'templates/jobs/node.yml', 'LICENSE', 'README.md', 'package.json']) {
      expect(tarballFiles, file).toContain(`package/${file}`)
    }
    // TypeScript only as the typed client's declarations (orca-runner/client).
    const unwanted = tarballFiles.filter(
      (f) => /^package\/(src|test|bench|docs|scripts|examples|node_modules|\.ci|\.github)\//.test(f) || f.endsWith('.map') || (f.endsWith('.ts') && !/^package\/dist\/client\/[^/]+\.d\.ts$/.test(f)),
    )
    expect(unwanted).toEqual([])
    for (const file of ['dist/client/index.js', 'dist/client/index.d.ts', 'dist/client/openapi.d.ts']) expect(tarballFiles, file).toContain(`package/${file}`)
  })

  it('lists every command in the manifest that the prepare build generated', () => {
    const commands = tarballFiles.filter((f) => /^package\/dist\/commands\/.+\.js$/.test(f)).map((f) => f.replace(/^package\/dist\/commands\//, '').replace(/\.js$/, '').replaceAll('/', ':'))
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', join(work, TARBALL), 'package/oclif.manifest.json'], {encoding: 'utf8'})) as {version: string; commands: object}
    expect(manifest.version).toBe(pkg.version)
    expect(Object.keys(manifest.commands).sort()).toEqual(commands.sort())
  })

  it('installs globally from the tarball alone, as a copy, without engine warnings on this Node.js', () => {
    expect(installed.stderr).not.toContain('npm error')
    expect(installed.code).toBe(0)
    expect(lstatSync(join(prefix, 'lib/node_modules', pkg.name)).isDirectory()).toBe(true)
    const warned = [...installed.stderr.matchAll(/EBADENGINE\s+package: '([^']+)@/g)].map((m) => m[1])
    // On Node 20 only: fastify's inject helper (light-my-request 6.8) needs cookie 2, which declares
    // node >=22; orca never loads it. The repository holds light-my-request back; users' installs
    // resolve afresh (README, "Node.js versions").
    expect(warned).toEqual(process.versions.node.startsWith('20.') ? ['cookie'] : [])
  })

  it('orca --version names the package and this Node.js', async () => {
    const version = await installedOrca(['--version'], folder('anywhere'))
    expect(version.stderr).toBe('')
    expect(version.stdout).toContain(`${pkg.name}/${pkg.version}`)
    expect(version.stdout).toContain(`node-v${process.versions.node}`)
    expect(version.code).toBe(0)
  })

  it('orca init in a new folder writes a pipeline that runs, then comes from the cache', async () => {
    const dir = folder('new-project')
    const init = await installedOrca(['init', '--ci', 'github'], dir)
    expect(init.stdout).toContain('wrote jobs.yml\nwrote orca.config.yml\nwrote .github/workflows/orca.yml')
    expect(init.code).toBe(0)
    // Not a dependency of this folder: the schema published with this version, a file the package ships.
    const schemaUrl = readFileSync(join(dir, 'jobs.yml'), 'utf8').split('\n')[0]!.replace('# yaml-language-server: $schema=', '')
    expect(schemaUrl).toBe(`https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/schemas/jobs.schema.json`)
    expect(tarballFiles).toContain('package/schemas/jobs.schema.json')
    expect(readFileSync(join(dir, '.github/workflows/orca.yml'), 'utf8')).toContain(`run: npm install -g ${pkg.name}@${pkg.version}\n`)

    const first = await installedOrca(['run', 'ci', '--output', 'plain'], dir)
    expect(first.stdout).toContain('3 jobs: 3 succeeded')
    expect(first.code).toBe(0)
    const second = await installedOrca(['run', 'ci', '--output', 'plain'], dir)
    expect(second.stdout).toContain('3 jobs: 3 cached')
    expect(second.code).toBe(0)
  })

  it('runs the repository\'s example pipeline', async () => {
    const dir = folder('wordcount')
    cpSync(join(ROOT, 'examples/wordcount'), dir, {recursive: true, filter: (path) => basename(path) !== '.orca'})
    const run = await installedOrca(['run', '--output', 'plain'], dir)
    expect(run.stdout).toContain('5 jobs: 5 succeeded')
    expect(run.code).toBe(0)
  })

  it('with orca as a dev dependency, $schema points into node_modules, where the schema is, and the schema accepts the pipeline', async () => {
    const dir = folder('dev-dependency')
    const manifest = {name: 'app', version: '1.0.0', private: true, devDependencies: {[pkg.name]: pkg.version}}
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest))
    // Where `npm install` of the dev dependency puts the package.
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(join(prefix, 'lib/node_modules', pkg.name), join(dir, 'node_modules', pkg.name))

    expect((await installedOrca(['init', '-f', 'ci/jobs.yml'], dir)).code).toBe(0)
    for (const [file, schemaFile] of [['ci/jobs.yml', 'jobs.schema.json'], ['orca.config.yml', 'config.schema.json']] as const) {
      const text = readFileSync(join(dir, file), 'utf8')
      const reference = text.split('\n')[0]!.replace('# yaml-language-server: $schema=', '')
      expect(reference).toBe(`${file.startsWith('ci/') ? '../' : './'}node_modules/${pkg.name}/schemas/${schemaFile}`)
      const schema = JSON.parse(readFileSync(resolve(dirname(join(dir, file)), reference), 'utf8')) as object
      const ajv = new Ajv2020.default({strict: false})
      addFormats.default(ajv)
      const validate = ajv.compile(schema)
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true)
    }
    expect((await installedOrca(['validate', '-f', 'ci/jobs.yml'], dir)).code).toBe(0)
    // The typed client, by the package's export, from the project that depends on it.
    const client = await runProgram(process.execPath, ['--input-type=module', '-e', `const m = await import('${pkg.name}/client'); console.log(Object.keys(m).sort().join(' '))`], {cwd: dir, env: userEnv()})
    expect(client.stderr).toBe('')
    expect(client.stdout).toBe('OrcaApiError createClient sseMessages\n')
  })
})
