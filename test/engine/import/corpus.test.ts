import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {importCi, type ImportVendor} from '../../../src/engine/import/import.js'
import {formatReport} from '../../../src/engine/import/report.js'

// Each case is a folder holding a CI file (and what it includes), the jobs.yml it must give and
// the report it must print. ORCA_REGENERATE=1 rewrites the expected files: read the diff before
// committing it.
const CORPUS = join(import.meta.dirname, 'corpus')
const regenerate = process.env.ORCA_REGENERATE === '1'

function ciFiles(vendor: ImportVendor, dir: string): string[] {
  if (vendor === 'gitlab') return ['.gitlab-ci.yml']
  return readdirSync(join(dir, '.github/workflows'))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => `.github/workflows/${f}`)
}

for (const vendor of ['github', 'gitlab'] as const) {
  describe(`orca import ${vendor}: the corpus`, () => {
    for (const name of readdirSync(join(CORPUS, vendor)).sort()) {
      const dir = join(CORPUS, vendor, name)
      it(`${name}: gives the expected jobs.yml and report, and the jobs.yml validates`, () => {
        const result = importCi({vendor, files: ciFiles(vendor, dir), cwd: dir, projectDir: dir})
        const report = formatReport(result.report)
        if (regenerate || !existsSync(join(dir, 'expected.jobs.yml'))) {
          writeFileSync(join(dir, 'expected.jobs.yml'), result.text)
          writeFileSync(join(dir, 'expected.report.txt'), report)
        }
        expect(result.problems).toEqual([])
        expect(result.text).toBe(readFileSync(join(dir, 'expected.jobs.yml'), 'utf8'))
        expect(report).toBe(readFileSync(join(dir, 'expected.report.txt'), 'utf8'))
      })
    }
  })
}
