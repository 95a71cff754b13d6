import type {ErrorObject, ValidateFunction} from 'ajv/dist/2020.js'

import * as generated from './schema-validators.generated.js'

type SchemaName = 'jobs' | 'config'

// Precompiled from schemas/*.schema.json: importing and compiling ajv at startup is slow (docs/performance.md).
const validators: Record<SchemaName, ValidateFunction> = {
  jobs: generated.jobs as unknown as ValidateFunction,
  config: generated.config as unknown as ValidateFunction,
}

/** Validates data against `schemas/<name>.schema.json`; returns every error (empty when valid). */
export function validateAgainst(name: SchemaName, data: unknown): ErrorObject[] {
  const validate = validators[name]
  return validate(data) ? [] : [...(validate.errors ?? [])]
}

/** The options the validators are generated with (the test that regenerates them uses these). */
export const AJV_OPTIONS = {allErrors: true, verbose: true, allowUnionTypes: true, unicode: false, code: {source: true, esm: true}} as const
