import {posix} from 'node:path'

import {parse} from 'yaml'

import type {ProjectFacts, ProjectKind} from './detect.js'
import {ORCA_PACKAGE, readTemplate, renderTemplate, type TemplateContext} from './template.js'

/** `templates/settings.yml`: the values shared by every template (install command, images, schema URLs). */
export interface InitSettings {
  /** The command CI files and hooks install orca with, pinned to this version. */
  installOrca: string
  /** The published schemas of this version, for projects that do not have orca in node_modules. */
  jobsSchemaUrl: string
  configSchemaUrl: string
  images: Record<ProjectKind, string>
}

/** The settings, with `<% package %>` and `<% version %>` filled in from orca's own package.json. */
export function readSettings(): InitSettings {
  const settings = parse(readTemplate('settings.yml')) as InitSettings
  const context = {package: ORCA_PACKAGE.name, version: ORCA_PACKAGE.version}
  for (const key of ['installOrca', 'jobsSchemaUrl', 'configSchemaUrl'] as const) {
    settings[key] = renderTemplate(settings[key], context, `settings.yml ${key}`)
  }
  return settings
}

/**
 * What the `$schema` line of `file` (relative to the project) points at: the schema in the project's
 * node_modules when its package.json lists orca (it works before orca is published and follows the
 * installed version), else the copy published with this version.
 */
export function schemaReference(schema: 'jobs' | 'config', file: string, facts: ProjectFacts, settings: InitSettings): string {
  if (!facts.orcaIsDependency) return schema === 'jobs' ? settings.jobsSchemaUrl : settings.configSchemaUrl
  const path = posix.relative(posix.dirname(file), `node_modules/${ORCA_PACKAGE.name}/schemas/${schema}.schema.json`)
  return path.startsWith('../') ? path : `./${path}`
}

export type CiProvider = 'github' | 'gitlab'
/** Where each CI provider reads its configuration, relative to the project. */
export const CI_FILES: Record<CiProvider, string> = {
  github: '.github/workflows/orca.yml',
  gitlab: '.gitlab-ci.yml',
}

/**
 * The starter jobs.yml for a project, to be written at `file` (relative to the project);
 * `image` replaces the kind's default image of every job.
 */
export function renderJobsFile(facts: ProjectFacts, settings: InitSettings, image?: string, file = 'jobs.yml'): string {
  const context: TemplateContext = {
    jobsSchema: schemaReference('jobs', file, facts, settings),
    image: image ?? settings.images[facts.kind],
    ...kindContext(facts),
  }
  return renderTemplate(readTemplate(`jobs/${facts.kind}.yml`), context, `jobs/${facts.kind}.yml`)
}

export function renderConfigFile(facts: ProjectFacts, settings: InitSettings): string {
  return renderTemplate(readTemplate('orca.config.yml'), {configSchema: schemaReference('config', 'orca.config.yml', facts, settings)}, 'orca.config.yml')
}

/** What the CI file and the hook run: `orca run TARGETS -f FILE`. */
export interface RunCommand {
  targets: string[]
  jobsFile: string
}

export function renderCiFile(provider: CiProvider, run: RunCommand, settings: InitSettings): string {
  return renderTemplate(readTemplate(`ci/${provider}.yml`), runContext(run, settings), `ci/${provider}.yml`)
}

/** The git hook; `prefix` is the project's folder inside the repository (`''` at its top, else ending in `/`). */
export function renderPreCommitHook(run: RunCommand, prefix: string, settings: InitSettings): string {
  return renderTemplate(readTemplate('pre-commit/hook.sh'), {...runContext(run, settings), prefix}, 'pre-commit/hook.sh')
}

/** The `repo: local` hook for projects that use the pre-commit framework. */
export function renderPreCommitConfig(run: RunCommand, settings: InitSettings): string {
  return renderTemplate(readTemplate('pre-commit/pre-commit-config.yaml'), runContext(run, settings), 'pre-commit/pre-commit-config.yaml')
}

function runContext(run: RunCommand, settings: InitSettings): TemplateContext {
  return {installOrca: settings.installOrca, targets: run.targets.join(' '), jobsFile: run.jobsFile}
}

const list = (items: string[]): string => items.map((i) => (/^[\w./-]+$/.test(i) ? i : JSON.stringify(i))).join(', ')
const quoted = (items: string[]): string => items.map((i) => JSON.stringify(i)).join(', ')

function kindContext(facts: ProjectFacts): TemplateContext {
  const has = (file: string): boolean => facts.present.includes(file)
  switch (facts.kind) {
    case 'node': {
      const scripts = facts.node?.scripts ?? []
      const lockfiles = ['package-lock.json', 'npm-shrinkwrap.json', '.npmrc'].filter(has)
      return {
        installInputs: quoted(['package.json', ...lockfiles]),
        // npm ci needs a lockfile; without one, npm install writes it.
        installCommand: facts.node?.lockfile ? 'npm ci' : 'npm install',
        ...Object.fromEntries(scripts.map((s) => [s, true])),
        ciNeeds: list(['install', ...scripts]),
      }
    }
    case 'python': {
      const py = facts.python ?? {pyproject: false, requirements: false, tests: false}
      const needs = [...(py.tests ? ['test'] : []), ...(py.pyproject ? ['build'] : []), ...(!py.tests && !py.pyproject ? ['check'] : [])]
      return {...py, ciNeeds: list(needs)}
    }
    case 'go':
      return {module: facts.go?.module ?? 'in this folder', main: facts.go?.main ?? false}
    case 'rust':
      return {
        rustInputs: quoted(['Cargo.toml', ...['Cargo.lock', 'build.rs'].filter(has), 'src/**', 'tests/**', 'benches/**', 'examples/**']),
        binary: Boolean(facts.rust?.binary && facts.rust.crate),
        crate: facts.rust?.crate ?? '',
      }
    case 'make': {
      const found = facts.make?.targets ?? []
      // `all` usually means build + test: a job of its own only when neither exists.
      const targets = found.filter((t) => t !== 'all' || (!found.includes('build') && !found.includes('test')))
      const jobs = targets.length > 0 ? targets : ['make']
      return {...Object.fromEntries(targets.map((t) => [t, true])), noTargets: targets.length === 0, ciNeeds: list(jobs)}
    }
    case 'generic':
      return {}
  }
}
