import {readFileSync, writeFileSync} from 'node:fs'

import {Ajv2020, type ErrorObject} from 'ajv/dist/2020.js'
import standaloneModule from 'ajv/dist/standalone/index.js'
import {describe, expect, test} from 'vitest'

import {DURATION_PATTERN} from '../../../src/engine/duration.js'
import {IMAGE_REFERENCE_PATTERN} from '../../../src/engine/pipeline/image-reference.js'
import {HOSTNAME_PATTERN, SERVICE_NAME_PATTERN, SHELL_PATTERN} from '../../../src/engine/pipeline/schema-diagnostics.js'
import {AJV_OPTIONS, schemaErrors} from '../../../src/engine/pipeline/schema-validators.js'
import {config} from '../../../src/engine/pipeline/schema-validators.config.generated.js'
import {jobs} from '../../../src/engine/pipeline/schema-validators.jobs.generated.js'
import {SIZE_PATTERN} from '../../../src/engine/bytes.js'

const root = new URL('../../../', import.meta.url)
const generatedFile = (name: SchemaName): URL => new URL(`src/engine/pipeline/schema-validators.${name}.generated.ts`, root)
const readSchema = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`schemas/${name}.schema.json`, root), 'utf8')) as Record<string, unknown>
type SchemaName = 'jobs' | 'config'
const validators = {jobs, config}
const validateAgainst = (name: SchemaName, data: unknown): ErrorObject[] => schemaErrors(validators[name], data)

/** The precompiled validator of one schema, as it must be for the current schema. */
function generate(name: SchemaName): string {
  const ajv = new Ajv2020({...AJV_OPTIONS, code: {...AJV_OPTIONS.code}})
  const schema = readSchema(name)
  ajv.addSchema(schema)
  // ajv is CommonJS: the function is the module itself and also its `default`.
  type StandaloneCode = (ajv: InstanceType<typeof Ajv2020>, refs: Record<string, string>) => string
  const module = standaloneModule as unknown as StandaloneCode & {default?: StandaloneCode}
  const standaloneCode = module.default ?? module
  const code = standaloneCode(ajv, {[name]: schema.$id as string})
  return [
    '/* eslint-disable */',
    '// @ts-nocheck',
    `// Generated from schemas/${name}.schema.json by`,
    '// test/engine/pipeline/schema-validators.test.ts; regenerate with',
    '// ORCA_REGENERATE=1 npx vitest run test/engine/pipeline/schema-validators.test.ts',
    code,
    '',
  ].join('\n')
}

describe('precompiled schema validators', () => {
  test.each(['jobs', 'config'] as const)('the %s validator matches the schema it is generated from', (name) => {
    const expected = generate(name)
    if (process.env.ORCA_REGENERATE === '1') writeFileSync(generatedFile(name), expected)
    expect(readFileSync(generatedFile(name), 'utf8'), 'stale: regenerate with ORCA_REGENERATE=1').toBe(expected)
  })

  test('the schemas use the same duration and size patterns as the code', () => {
    const jobs = readSchema('jobs') as {$defs: Record<string, {pattern?: string}>}
    const config = readSchema('config') as {$defs: Record<string, {pattern?: string; oneOf?: Array<{pattern?: string}>}>}
    expect(jobs.$defs.duration?.pattern).toBe(DURATION_PATTERN)
    expect(config.$defs.duration?.pattern).toBe(DURATION_PATTERN)
    expect(config.$defs.size?.oneOf?.[0]?.pattern).toBe(SIZE_PATTERN)
    expect(JSON.stringify(jobs)).toContain(JSON.stringify(SIZE_PATTERN))
    // Their messages are keyed by pattern: a drifted pattern would get the generic one.
    expect(jobs.$defs.serviceName?.pattern).toBe(SERVICE_NAME_PATTERN)
    expect(jobs.$defs.hostname?.pattern).toBe(HOSTNAME_PATTERN)
    expect(jobs.$defs.shell?.pattern).toBe(SHELL_PATTERN)
  })

  test('both schemas check images with the reference grammar of the code', () => {
    const jobs = readSchema('jobs') as {$defs: Record<string, {pattern?: string}>}
    const config = readSchema('config') as {properties: {defaults: {properties: {image: {pattern?: string}}}}}
    expect(jobs.$defs.image?.pattern).toBe(IMAGE_REFERENCE_PATTERN)
    expect(config.properties.defaults.properties.image.pattern).toBe(IMAGE_REFERENCE_PATTERN)
  })

  test('every property of both schemas has a description for editors', () => {
    const missing: string[] = []
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== 'object' || node === null) return
      const properties = (node as {properties?: Record<string, {description?: string}>}).properties
      for (const [key, value] of Object.entries(properties ?? {})) if (!value.description) missing.push(`${at}.${key}`)
      for (const [key, value] of Object.entries(node)) walk(value, `${at}.${key}`)
    }
    walk(readSchema('jobs'), 'jobs')
    walk(readSchema('config'), 'config')
    expect(missing).toEqual([])
  })

  test('accept the example of the contract and reject an unknown key', () => {
    expect(validateAgainst('jobs', {version: 1, jobs: {build: {image: 'busybox:1.36', steps: ['true']}}})).toEqual([])
    expect(validateAgainst('config', {concurrency: 2, cache: {maxSize: '10g'}})).toEqual([])
    expect(validateAgainst('config', {concurency: 2})[0]?.keyword).toBe('additionalProperties')
  })
})
