import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {jobsReference, ROOT} from '../../scripts/gen-docs.mjs'

describe('docs/jobs-yml.md', () => {
  it('is what scripts/gen-docs.mjs makes of schemas/jobs.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/jobs.schema.json'), 'utf8')) as object
    const committed = readFileSync(join(ROOT, 'docs/jobs-yml.md'), 'utf8')
    expect(committed, 'docs/jobs-yml.md is stale: run `npm run docs` (node scripts/gen-docs.mjs)').toBe(jobsReference(schema))
  })

  it('has a row for every key of a job and of a step', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/jobs.schema.json'), 'utf8')) as {$defs: {job: {properties: object}}}
    const page = jobsReference(schema)
    for (const key of Object.keys(schema.$defs.job.properties)) expect(page).toContain(`| \`${key}\` |`)
    expect(page).toContain('| `allow_failure` | boolean |')
    expect(page).toContain('| `resources.memory` |')
  })
})
