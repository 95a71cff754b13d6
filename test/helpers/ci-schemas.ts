import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import Ajv from 'ajv'
import addFormats from 'ajv-formats'

/** A validator for one of the vendored SchemaStore CI schemas (test/fixtures/ci-schemas): the problems found, empty when valid. */
export function ciValidator(file: 'github-workflow.json' | 'gitlab-ci.json'): (data: unknown) => string[] {
  const ajv = new Ajv.default({allErrors: true, strict: false})
  addFormats.default(ajv)
  const validate = ajv.compile(JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/ci-schemas', file), 'utf8')) as object)
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`))
}
