import {readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import Ajv2020, {type ValidateFunction} from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

const SCHEMAS = join(dirname(fileURLToPath(import.meta.url)), '../../schemas')

/** A strict ajv validator for one of the published schemas in `schemas/`. */
export async function schemaValidator(name: string): Promise<ValidateFunction> {
  const schema = JSON.parse(await readFile(join(SCHEMAS, name), 'utf8')) as object
  const ajv = new Ajv2020.default({allErrors: true, strict: false})
  addFormats.default(ajv)
  return ajv.compile(schema)
}
