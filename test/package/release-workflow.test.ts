import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import Ajv from 'ajv'
import picomatch from 'picomatch'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

const root = join(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {version: string}

type Step = {name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>}
type Workflow = {
  on: {push: {tags?: string[]; branches?: string[]}}
  permissions: Record<string, string>
  jobs: Record<string, {permissions: Record<string, string>; steps: Step[]}>
}
const workflow = parse(readFileSync(join(root, '.github/workflows/release.yml'), 'utf8')) as Workflow
const steps = Object.values(workflow.jobs)[0]!.steps
const stepIndex = (test: (step: Step) => boolean): number => steps.findIndex(test)
const runs = (command: string) => (step: Step) => step.run?.split('\n').some((line) => line.trim().startsWith(command)) ?? false

/** Runs a step's script as the runner would (bash), in the repository, with the given environment. */
function runStep(step: Step, env: Record<string, string>): {status: number | null; stdout: string} {
  const result = spawnSync('bash', ['-e', '-c', step.run!], {cwd: root, env: {...process.env, ...env}, encoding: 'utf8'})
  return {status: result.status, stdout: result.stdout}
}

describe('.github/workflows/release.yml', () => {
  it('is a valid workflow (the published GitHub workflow schema)', () => {
    const ajv = new Ajv.default({allErrors: true, strict: false})
    const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'test/fixtures/ci-schemas/github-workflow.json'), 'utf8')) as object)
    expect(validate(workflow), JSON.stringify(validate.errors)).toBe(true)
    // Not vacuous: the schema refuses a permission GitHub does not know.
    expect(validate({...workflow, permissions: {'id-tokens': 'write'}})).toBe(false)
  })

  it('runs for version tags only', () => {
    expect(workflow.on.push.branches).toBeUndefined()
    const isMatch = picomatch(workflow.on.push.tags!)
    expect(isMatch(`v${pkg.version}`)).toBe(true)
    expect(isMatch('v1.2.3')).toBe(true)
    expect(isMatch('latest')).toBe(false)
  })

  it('may mint an id token for provenance in the publishing job only, and read the repository', () => {
    expect(workflow.permissions).toEqual({contents: 'read'})
    expect(Object.values(workflow.jobs)[0]!.permissions).toEqual({contents: 'read', 'id-token': 'write'})
  })

  it('installs, tests and only then publishes with provenance to the npm registry', () => {
    const setupNode = steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!
    expect(setupNode.with!['registry-url']).toBe('https://registry.npmjs.org')
    const order = [stepIndex((s) => Boolean(s.uses?.startsWith('actions/checkout@'))), stepIndex(runs('npm ci')), stepIndex(runs('npm test')), stepIndex(runs('npm publish'))]
    expect(order.every((i) => i >= 0), JSON.stringify(order)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    const publish = steps.at(-1)!
    expect(publish.run).toBe('npm publish --provenance --access public')
    expect(publish.env).toEqual({NODE_AUTH_TOKEN: '${{ secrets.NPM_TOKEN }}'})
  })

  it('stops when the tag is not the version in package.json', () => {
    const check = steps.find((s) => s.name === "The tag is the package's version")!
    expect(runStep(check, {GITHUB_REF_NAME: `v${pkg.version}`}).status).toBe(0)
    const other = runStep(check, {GITHUB_REF_NAME: 'v99.0.0'})
    expect(other.status).toBe(1)
    expect(other.stdout).toContain(`::error::tag v99.0.0 does not match version ${pkg.version} in package.json`)
  })
})
