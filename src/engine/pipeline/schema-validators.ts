import type {ErrorObject, ValidateFunction} from 'ajv/dist/2020.js'

/**
 * A validator precompiled from `schemas/<name>.schema.json` (importing and compiling ajv at startup is
 * slow: docs/performance.md). One generated module per schema, so a run without a config file never
 * loads the config schema's validator: `schema-validators.jobs.generated.js` exports `jobs`,
 * `schema-validators.config.generated.js` exports `config`.
 */
export type SchemaValidator = (data: unknown) => boolean

/** Runs a precompiled validator; returns every error (empty when valid). */
export function schemaErrors(validator: SchemaValidator, data: unknown): ErrorObject[] {
  const validate = validator as unknown as ValidateFunction
  return validate(data) ? [] : [...(validate.errors ?? [])]
}

/** The options the validators are generated with (the test that regenerates them uses these). */
export const AJV_OPTIONS = {allErrors: true, verbose: true, allowUnionTypes: true, unicode: false, code: {source: true, esm: true}} as const
