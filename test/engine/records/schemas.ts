import {readFileSync} from 'node:fs'

import {Ajv2020} from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

/** One of the published schemas in `schemas/`, parsed. */
export function readSchema(name: string): object {
  return JSON.parse(readFileSync(new URL(`../../../schemas/${name}`, import.meta.url), 'utf8')) as object
}

/** Validators for the published event and run-record schemas, compiled as users would. */
export function schemaValidators() {
  const load = readSchema
  const ajv = new Ajv2020({allErrors: true, strict: true, allowUnionTypes: true})
  addFormats.default(ajv)
  return {
    event: ajv.compile(load('event.schema.json')),
    record: ajv.compile(load('run-record.schema.json')),
  }
}
