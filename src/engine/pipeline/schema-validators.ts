import {readFileSync} from 'node:fs'

import {Ajv2020} from 'ajv/dist/2020.js'
import type {ErrorObject, ValidateFunction} from 'ajv/dist/2020.js'

type SchemaName = 'jobs' | 'config'

const compiled = new Map<SchemaName, ValidateFunction>()

/** Validates data against `schemas/<name>.schema.json` (compiled once per process); returns every error. */
export function validateAgainst(name: SchemaName, data: unknown): ErrorObject[] {
  let validate = compiled.get(name)
  if (!validate) {
    const ajv = new Ajv2020({allErrors: true, verbose: true, allowUnionTypes: true})
    validate = ajv.compile(readSchema(name))
    compiled.set(name, validate)
  }
  return validate(data) ? [] : [...(validate.errors ?? [])]
}

/** The schema document itself. */
export function readSchema(name: SchemaName): Record<string, unknown> {
  // src/engine/pipeline and dist/engine/pipeline both sit three levels under the package root.
  const url = new URL(`../../../schemas/${name}.schema.json`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>
}
