import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, join} from 'node:path'

import {ORCA_PACKAGE} from './template.js'

/** Kinds of project `orca init` knows, in the order their marker files are looked for. */
export const PROJECT_KINDS = ['node', 'python', 'go', 'rust', 'make', 'generic'] as const
export type ProjectKind = (typeof PROJECT_KINDS)[number]

/** What `orca init` learnt about a project: enough to write jobs that work for it. */
export interface ProjectFacts {
  kind: ProjectKind
  /** Other kinds whose marker files are present too (e.g. a Makefile next to package.json). */
  alsoFound: ProjectKind[]
  /** Files that exist, among those the jobs name as inputs (a glob matching nothing is noise). */
  present: string[]
  /** The project's package.json lists orca as a dependency, so node_modules will hold its schemas. */
  orcaIsDependency?: boolean
  node?: {scripts: NodeScript[]; lockfile: boolean}
  python?: {pyproject: boolean; requirements: boolean; tests: boolean}
  go?: {module: string; main: boolean}
  rust?: {crate?: string; binary: boolean}
  make?: {targets: MakeTarget[]}
}

/** package.json scripts that become jobs of the same name, in pipeline order. */
export const NODE_SCRIPTS = ['lint', 'typecheck', 'test', 'build'] as const
export type NodeScript = (typeof NODE_SCRIPTS)[number]

/** Makefile targets that become jobs of the same name, in pipeline order. */
export const MAKE_TARGETS = ['lint', 'check', 'test', 'build', 'all'] as const
export type MakeTarget = (typeof MAKE_TARGETS)[number]

const MARKERS: Record<Exclude<ProjectKind, 'generic'>, string[]> = {
  node: ['package.json'],
  python: ['pyproject.toml', 'requirements.txt', 'setup.py'],
  go: ['go.mod'],
  rust: ['Cargo.toml'],
  make: ['Makefile', 'makefile', 'GNUmakefile'],
}

// What `npm init` writes as the test script: running it can only fail.
const NPM_PLACEHOLDER_TEST = /no test specified/

const OPTIONAL_FILES = ['package-lock.json', 'npm-shrinkwrap.json', '.npmrc', 'go.sum', 'Cargo.lock', 'build.rs', 'requirements.txt', 'setup.py', 'setup.cfg', 'pyproject.toml']

/** Looks at a project's top-level files and tells what kind it is; `kind` forces one. */
export function detectProject(dir: string, kind?: ProjectKind): ProjectFacts {
  const found = PROJECT_KINDS.filter((k) => k !== 'generic' && MARKERS[k].some((f) => isFile(join(dir, f))))
  const chosen = kind ?? found[0] ?? 'generic'
  const pkg = readPackageJson(dir)
  const facts: ProjectFacts = {
    kind: chosen,
    alsoFound: found.filter((k) => k !== chosen),
    present: OPTIONAL_FILES.filter((f) => isFile(join(dir, f))),
    orcaIsDependency: DEPENDENCY_FIELDS.some((field) => typeof pkg?.[field] === 'object' && pkg[field] !== null && ORCA_PACKAGE.name in pkg[field]),
  }
  switch (chosen) {
    case 'node':
      facts.node = nodeFacts(dir, pkg)
      break
    case 'python':
      facts.python = pythonFacts(dir)
      break
    case 'go':
      facts.go = goFacts(dir)
      break
    case 'rust':
      facts.rust = rustFacts(dir)
      break
    case 'make':
      facts.make = {targets: makeTargets(dir)}
      break
    case 'generic':
      break
  }
  return facts
}

const DEPENDENCY_FIELDS = ['devDependencies', 'dependencies', 'optionalDependencies'] as const

type PackageJson = Partial<Record<'scripts' | (typeof DEPENDENCY_FIELDS)[number], Record<string, unknown> | null>>

/** The project's package.json, or undefined when there is none or it is not a JSON object. */
function readPackageJson(dir: string): PackageJson | undefined {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    return typeof pkg === 'object' && pkg !== null ? (pkg as PackageJson) : undefined
  } catch {
    return undefined
  }
}

function nodeFacts(dir: string, pkg: PackageJson | undefined): ProjectFacts['node'] {
  // A missing or broken package.json leaves only the install job; `npm ci` will say what is wrong.
  const scripts = pkg?.scripts ?? {}
  const usable = NODE_SCRIPTS.filter((s) => typeof scripts[s] === 'string' && !(s === 'test' && NPM_PLACEHOLDER_TEST.test(scripts[s] as string)))
  return {scripts: usable, lockfile: isFile(join(dir, 'package-lock.json')) || isFile(join(dir, 'npm-shrinkwrap.json'))}
}

function pythonFacts(dir: string): ProjectFacts['python'] {
  const names = safeList(dir)
  const tests = ['tests', 'test'].some((d) => isDir(join(dir, d))) || names.some((n) => /^test_.*\.py$|_test\.py$/.test(n))
  return {pyproject: names.includes('pyproject.toml') || names.includes('setup.py'), requirements: names.includes('requirements.txt'), tests}
}

function goFacts(dir: string): ProjectFacts['go'] {
  const mod = readFileSync(join(dir, 'go.mod'), 'utf8')
  const module = /^module\s+(\S+)/m.exec(mod)?.[1] ?? basename(dir)
  const candidates = [dir, ...safeList(join(dir, 'cmd')).map((d) => join(dir, 'cmd', d))]
  const main = candidates.some((d) => safeList(d).some((f) => f.endsWith('.go') && /^package main\b/m.test(readFileSync(join(d, f), 'utf8'))))
  return {module, main}
}

function rustFacts(dir: string): ProjectFacts['rust'] {
  const toml = readFileSync(join(dir, 'Cargo.toml'), 'utf8')
  // The name of [package], not of a dependency table further down.
  const pkg = /^\[package\][^[]*?^name\s*=\s*"([^"]+)"/ms.exec(toml)
  return {crate: pkg?.[1], binary: isFile(join(dir, 'src/main.rs'))}
}

/** The well-known targets a Makefile defines (`test:`, `build all:`), not variables (`X := 1`). */
function makeTargets(dir: string): MakeTarget[] {
  const file = MARKERS.make.map((f) => join(dir, f)).find(isFile)
  if (!file) return []
  const defined = new Set<string>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const rule = /^([A-Za-z0-9_.\- ]+?)\s*::?(?![=])/.exec(line)
    if (rule) for (const name of rule[1]!.split(/\s+/)) defined.add(name)
  }
  return MAKE_TARGETS.filter((t) => defined.has(t))
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory()
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
