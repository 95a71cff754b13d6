import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {GithubReporter, GitlabReporter, lineReporterFor} from '../../../src/views/run/ci.js'
import {ciFlavour} from '../../../src/views/run/ci-environment.js'
import {PlainReporter} from '../../../src/views/run/plain.js'
import {diamondEvents} from '../../engine/records/diamond-events.js'

async function render(env: NodeJS.ProcessEnv): Promise<string[]> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (chunk: Buffer) => chunks.push(chunk))
  const reporter = lineReporterFor(out, {env})
  for (const event of diamondEvents()) reporter.handle(event)
  await reporter.close()
  return Buffer.concat(chunks).toString().split('\n')
}

/** The lines between a group's opening line and its end marker. */
function group(lines: string[], opening: string, end: (line: string) => boolean): string[] {
  const start = lines.indexOf(opening)
  expect(start, `no line ${JSON.stringify(opening)}`).toBeGreaterThanOrEqual(0)
  const stop = lines.findIndex((line, i) => i > start && end(line))
  return lines.slice(start + 1, stop)
}

describe('CI flavours', () => {
  it('are recognised from the variables each CI sets', () => {
    expect(ciFlavour({GITHUB_ACTIONS: 'true'})).toBe('github')
    expect(ciFlavour({GITLAB_CI: 'true'})).toBe('gitlab')
    expect(ciFlavour({CI: 'true'})).toBeUndefined()
    const out = new PassThrough()
    expect(lineReporterFor(out, {env: {GITHUB_ACTIONS: 'true'}})).toBeInstanceOf(GithubReporter)
    expect(lineReporterFor(out, {env: {GITLAB_CI: 'true'}})).toBeInstanceOf(GitlabReporter)
    expect(lineReporterFor(out, {env: {}}).constructor).toBe(PlainReporter)
  })

  it('GitHub: one group per job titled with its result, output fenced from workflow commands', async () => {
    const lines = await render({GITHUB_ACTIONS: 'true'})
    const build = group(lines, '::group::[build] succeeded in 4.2s', (l) => l === '::endgroup::')
    const token = /^::stop-commands::([0-9a-f]+)$/.exec(build[0] ?? '')?.[1]
    expect(token).toBeDefined()
    expect(build).toEqual([
      `::stop-commands::${token}`,
      '▶ compile',
      'compiling 3 files',
      'token=***',
      'no newline at the end',
      '▶ package',
      'packed dist/app.tar',
      `::${token}::`,
    ])
    expect(group(lines, '::group::[lint] succeeded on attempt 2 (flaky) in 500ms', (l) => l === '::endgroup::')).toContain(
      '! step "style" failed (exit 1); allowed to fail',
    )
    expect(lines).toContain('::error title=orca%3A docs::failed (step "render" exited 2) in 400ms')
    expect(lines).toContain('::error title=orca%3A test::timed out (step "sleep" exceeded its timeout of 5s) in 5.1s  (tests: 3, 1 failed, 1 skipped)')
    // A failed testcase of the job's report is an annotation at the file and line the report names.
    expect(lines).toContain('::error file=src/math.js,line=7,title=test%3A math › divides::expected 2, got 3')
    expect(lines).toContain('[deploy] ○ skipped (needs test (timed_out))')
    expect(lines).toContain('5 jobs: 2 succeeded (1 flaky), 1 timed out, 1 failed, 1 skipped; run failed in 9.8s')
  })

  it('GitLab: collapsible sections timed from the record, open when the job failed', async () => {
    const lines = await render({GITLAB_CI: 'true'})
    const events = diamondEvents()
    const at = (seq: number): number => Math.floor(Date.parse(events[seq - 1]!.time) / 1000)
    const start = `\u001B[0Ksection_start:${at(3)}:orca_build_2[collapsed=true]\r\u001B[0K[build] succeeded in 4.2s`
    const body = group(lines, start, (l) => l.startsWith('\u001B[0Ksection_end:'))
    expect(body).toContain('compiling 3 files')
    expect(lines).toContain(`\u001B[0Ksection_end:${at(20)}:orca_build_2\r\u001B[0K`)
    expect(lines.some((l) => l.includes(':orca_docs_1[collapsed=false]'))).toBe(true)
  })

  it('GitHub: failures are repeated outside any group at the end, before the summary', async () => {
    const lines = await render({GITHUB_ACTIONS: 'true'})
    const lastGroupEnd = lines.lastIndexOf('::endgroup::')
    const docs = lines.indexOf('✗ [docs] failed (step "render" exited 2) in 400ms')
    const test = lines.indexOf('✗ [test] timed out (step "sleep" exceeded its timeout of 5s) in 5.1s  (tests: 3, 1 failed, 1 skipped)')
    const summary = lines.indexOf('Summary')
    expect(lastGroupEnd).toBeGreaterThan(0)
    expect(docs).toBeGreaterThan(lastGroupEnd)
    expect(test).toBeGreaterThan(docs)
    expect(summary).toBeGreaterThan(test)
    // The repeated output is still fenced from workflow commands.
    expect(lines[docs + 1]).toMatch(/^::stop-commands::[0-9a-f]+$/)
    expect(lines.slice(docs + 2, docs + 4)).toEqual(['▶ render', 'render: missing title'])
    expect(lines.slice(lastGroupEnd, summary).some((l) => l.startsWith('::group::'))).toBe(false)
  })

  it('GitHub: appends a Markdown summary to $GITHUB_STEP_SUMMARY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orca-summary-'))
    try {
      const file = join(dir, 'step_summary.md')
      writeFileSync(file, 'before\n')
      await render({GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: file})
      const md = readFileSync(file, 'utf8').split('\n')
      expect(md[0]).toBe('before')
      expect(md[1]).toMatch(/^### orca run `20261125T203015123Z-3f9a1c`: ❌ failed in 9.8s$/)
      expect(md).toContain('| job | status | duration | cache |')
      expect(md).toContain('| build | ✅ succeeded | 4.2s | miss |')
      expect(md).toContain('| docs | ❌ failed (step "render" exited 2) | 400ms | disabled |')
      expect(md).toContain('| deploy | ⏭️ skipped (needs test (timed_out)) |  | — |')
      expect(md).toContain('<details><summary>docs: failed (step "render" exited 2) in 400ms</summary>')
      expect(md).toContain('render: missing title')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('GitHub: an unwritable step summary is a warning, not a crash', async () => {
    const lines = await render({GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '/nonexistent/dir/summary.md'})
    expect(lines.some((l) => l.startsWith('::warning::orca could not write the step summary'))).toBe(true)
  })
})
