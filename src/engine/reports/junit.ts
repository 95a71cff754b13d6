import {XMLParser, XMLValidator} from 'fast-xml-parser'

import type {TestCaseResult, TestCounts} from '../records/events.js'

/** A failure's text is cut to this many characters: the whole report stays in the run directory. */
const MAX_DETAILS = 4096

/** One JUnit file's testcases, or why it is not a JUnit document. */
export type ParsedJunit = {cases: TestCaseResult[]} | {problem: string}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Every element that may repeat is a list, so one testcase and many read alike.
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
  parseAttributeValue: false,
  parseTagValue: false,
  processEntities: true,
  htmlEntities: false,
  // An entity expanding into more entities is how XML bombs work: none are defined by reports.
  allowBooleanAttributes: true,
})

/**
 * Reads a JUnit XML report (the Ant/Jenkins dialect, as most test runners write it): `<testsuites>` or a
 * lone `<testsuite>`, suites nested in suites, each `<testcase>` passed, failed (`<failure>`), errored
 * (`<error>`) or skipped (`<skipped>`). `file` and `line` come from the testcase's attributes when the
 * runner writes them (pytest, jest-junit, Gradle's do for some).
 */
export function parseJunit(xml: string, fileName: string): ParsedJunit {
  const valid = XMLValidator.validate(xml)
  if (valid !== true) return {problem: `not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`}
  let document: Record<string, unknown>
  try {
    document = parser.parse(xml) as Record<string, unknown>
  } catch (error) {
    return {problem: `cannot be read as XML: ${(error as Error).message}`}
  }
  const root = (document.testsuites ?? (Array.isArray(document.testsuite) ? {testsuite: document.testsuite} : undefined)) as XmlNode | undefined
  if (root === undefined || typeof root !== 'object') return {problem: 'has no <testsuites> or <testsuite> element'}
  const cases: TestCaseResult[] = []
  const stack: Array<{node: XmlNode; suite: string}> = [{node: root, suite: textOf(root.name) ?? fileName}]
  while (stack.length > 0) {
    const {node, suite} = stack.pop()!
    for (const testcase of listOf(node.testcase)) cases.push(caseOf(testcase, suite))
    // Suites in reverse, so the stack visits them in document order.
    for (const child of listOf(node.testsuite).reverse()) stack.push({node: child, suite: textOf(child.name) ?? suite})
  }
  return {cases}
}

/** The counts of a list of testcases. */
export function countCases(cases: readonly TestCaseResult[]): TestCounts {
  const counts: TestCounts = {tests: cases.length, failures: 0, errors: 0, skipped: 0}
  for (const c of cases) {
    if (c.outcome === 'failed') counts.failures++
    else if (c.outcome === 'error') counts.errors++
    else if (c.outcome === 'skipped') counts.skipped++
  }
  return counts
}

type XmlNode = Record<string, unknown>

function caseOf(node: XmlNode, suite: string): TestCaseResult {
  const result: TestCaseResult = {suite, name: textOf(node.name) ?? '(unnamed)', outcome: 'passed'}
  const classname = textOf(node.classname)
  if (classname !== undefined) result.classname = classname
  const time = Number(textOf(node.time))
  if (Number.isFinite(time) && textOf(node.time) !== undefined) result.time = time
  const failure = listOf(node.failure)[0] ?? listOf(node.error)[0]
  if (failure !== undefined) {
    result.outcome = listOf(node.failure).length > 0 ? 'failed' : 'error'
    const message = textOf(failure.message) ?? textOf(failure.type)
    if (message !== undefined) result.message = message
    const details = bodyOf(failure)
    if (details) result.details = details.length > MAX_DETAILS ? `${details.slice(0, MAX_DETAILS)}…` : details
  } else if (node.skipped !== undefined) {
    result.outcome = 'skipped'
    const message = textOf(listOf(node.skipped)[0]?.message)
    if (message !== undefined) result.message = message
  }
  const file = textOf(node.file)
  if (file !== undefined) result.file = file
  const line = Number(textOf(node.line))
  if (Number.isSafeInteger(line) && line > 0) result.line = line
  return result
}

function listOf(value: unknown): XmlNode[] {
  if (!Array.isArray(value)) return []
  // An element without attributes parses as its text ('' when empty, as `<skipped/>`): it is still there.
  return value.map((item) => (typeof item === 'object' && item !== null ? (item as XmlNode) : typeof item === 'string' ? {'#text': item} : {}))
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

function bodyOf(node: XmlNode): string {
  const text = node['#text']
  return typeof text === 'string' ? text.trim() : ''
}
