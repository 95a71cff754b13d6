import {readFileSync} from 'node:fs'
import * as path from 'node:path'

import type {ArtifactEntry} from '../artifacts/manifest.js'
import {countCases, parseJunit} from '../reports/junit.js'
import type {JobWarning} from '../executor/types.js'
import type {JunitReports, TestCaseResult} from '../records/events.js'

/** Reports larger than this are kept but not read (a report that size is not one a person reads). */
const MAX_REPORT_BYTES = 64 * 1024 * 1024
/** Testcases an event and a run record carry per job; the counts cover them all. */
export const MAX_CASES = 5000

/**
 * The JUnit reports a job left in `reportsDir` (its collected report files): every testcase counted,
 * the first MAX_CASES kept for the views; a file that is not a JUnit document is a warning.
 * `name` is the folder relative to the run directory, which the event's file paths start with.
 */
export function junitReports(entries: readonly ArtifactEntry[], reportsDir: string, name: string): {junit: JunitReports; warnings: JobWarning[]} {
  const warnings: JobWarning[] = []
  const cases: TestCaseResult[] = []
  const files: JunitReports['files'] = []
  for (const entry of entries) {
    if (entry.type !== 'file') continue
    files.push({path: `${name}/${entry.path}`, bytes: entry.size, sha256: entry.sha256})
    if (entry.size > MAX_REPORT_BYTES) {
      warnings.push({kind: 'report-invalid', path: entry.path, message: `report ${entry.path} is ${entry.size} bytes, over the ${MAX_REPORT_BYTES} read: its tests are not counted`})
      continue
    }
    const parsed = parseJunit(readFileSync(path.join(reportsDir, entry.path), 'utf8'), entry.path)
    if ('problem' in parsed) warnings.push({kind: 'report-invalid', path: entry.path, message: `report ${entry.path} ${parsed.problem}: its tests are not counted`})
    else cases.push(...parsed.cases)
  }
  const junit: JunitReports = {...countCases(cases), files, cases: cases.slice(0, MAX_CASES)}
  if (cases.length > MAX_CASES) junit.casesOmitted = cases.length - MAX_CASES
  return {junit, warnings}
}
