import {describe, expect, it} from 'vitest'

import {loadPipeline} from '../../src/engine/pipeline/load.js'
import {ConfigError} from '../../src/engine/errors.js'
import {publicDiagnostics} from '../../src/server/diagnostics.js'
import {GROUPS_YML, postJson, raw, serversPerTest} from './server-helpers.js'

const serve = serversPerTest()

const SECRET = 'hunter2-s3cr3t'

/**
 * Files that are not valid pipelines, each hiding SECRET (or a part of it) in a value a message could
 * quote. (Keys are named by design: a diagnostic's path is made of them.)
 */
const HOSTILE: Record<string, string> = {
  'env.yml': `DB_PASSWORD=${SECRET}\nAPI_KEY=${SECRET}\n`,
  'one-line.yml': `password=${SECRET}`,
  'mapping.yml': `password: ${SECRET}\ntoken: ${SECRET}\n`,
  'long.yml': `version: 1\njobs:\n  a:\n    image: ${SECRET}${'x'.repeat(200)}\n    timeout: ${'y'.repeat(100)}${SECRET}\n    steps: [x]\n`,
  'syntax.yml': `key: [${SECRET}\nother: "${SECRET}\n`,
  'tag.yml': `key: !${SECRET} value\n`,
  'flow.yml': `{a: ${SECRET}, b: [${SECRET}}\n`,
  'values.yml': `version: 1\nimage: "${SECRET} x"\njobs:\n  a:\n    timeout: ${SECRET}\n    needs: [${SECRET}]\n    cleanup: ${SECRET}\n    network: ${SECRET}\n    steps: ["true"]\n    inputs: ["../${SECRET}/**"]\n    artifacts: ["${SECRET}/**/a/**/b/**"]\n    resources: {cpus: ${SECRET}}\n`,
  'version.yml': `version: ${SECRET}\njobs: {}\n`,
  'number.yml': 'version: 1\njobs:\n  a:\n    image: x\n    steps: [true]\n    resources: {cpus: 987654321}\n',
  'block.yml': `version: 1\njobs:\n  a:\n    image: x\n    steps: |\n      ${SECRET}\n`,
}

async function diagnosticsOf(dir: string, file: string): Promise<ConfigError> {
  const error = await loadPipeline(file, {cwd: dir, defaults: {timeoutMs: 60_000, cleanup: 'always_remove'}}).catch((e: unknown) => e)
  expect(error, file).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

describe('pipeline files over HTTP', () => {
  it('refuses every file outside serve.pipelines the same way, whether it exists or not', async () => {
    const s = await serve({'jobs.yml': GROUPS_YML, '.env': `TOKEN=${SECRET}\n`, 'secrets.yml': `a: ${SECRET}\n`, 'package.json': '{}'})
    const answers = new Map<string, string>()
    for (const file of ['.env', '.envx', 'secrets.yml', 'secretz.yml', 'package.json', 'packagx.json', './.env', 'sub/../.env', '../x.yml', '/etc/passwd', 'jobs.yml/..']) {
      const res = await postJson(s.url, '/v1/runs', {file})
      expect(res.status, file).toBe(403)
      expect(res.text).not.toContain(SECRET)
      // The same reply, but for the name the client sent itself.
      answers.set(res.text.replaceAll(JSON.stringify(JSON.stringify(file)).slice(1, -1), '<file>'), file)
    }
    expect([...answers.keys()]).toHaveLength(1)
    expect(JSON.parse([...answers.keys()][0]!).error).toEqual({code: 'pipeline_not_allowed', message: '<file> is not a pipeline this server runs', hint: 'allowed (serve.pipelines): jobs.yml'})
    expect((await raw(s.url, '/v1/runs')).json().runs).toEqual([])
  })

  it('runs the files serve.pipelines lists, in any spelling of their path, and none when it is empty', async () => {
    const s = await serve({'ci/release.yml': GROUPS_YML, 'jobs.yml': GROUPS_YML, 'orca.config.yml': 'serve:\n  pipelines: [ci/release.yml]\n'})
    for (const file of ['ci/release.yml', './ci//release.yml', 'ci/./release.yml']) expect((await postJson(s.url, '/v1/runs', {file, targets: ['a']})).status, file).toBe(202)
    expect((await postJson(s.url, '/v1/runs', {})).status).toBe(403)
    const none = await serve({'jobs.yml': GROUPS_YML, 'orca.config.yml': 'serve: {pipelines: []}\n'})
    const refused = await postJson(none.url, '/v1/runs', {})
    expect(refused.status).toBe(403)
    expect(refused.json().error.hint).toContain('empty')
  })

  it('never quotes a value of an allowed file that is not a valid pipeline', async () => {
    const names = Object.keys(HOSTILE)
    const s = await serve({...HOSTILE, 'orca.config.yml': `serve: {pipelines: [${names.join(', ')}]}\n`})
    for (const file of names) {
      const res = await postJson(s.url, '/v1/runs', {file})
      expect(res.status, file).toBe(422)
      const {error} = res.json()
      expect(error.code).toBe('invalid_pipeline')
      expect(error.diagnostics.length, file).toBeGreaterThan(0)
      for (const d of error.diagnostics) expect(d.file).toBe(file)
      for (const piece of [SECRET, 'hunter2', 's3cr3t', '987654321', 'xxxxxxxx', 'yyyyyyyy']) expect(res.text, `${file}: ${res.text}`).not.toContain(piece)
    }
  })
})

describe('included files over HTTP', () => {
  it('refuses an include that leads out of the served project, and quotes no value of an included file', async () => {
    const s = await serve({
      'jobs.yml': `version: 1\nimage: busybox:1.36\ninclude: [ci/more.yml]\njobs:\n  a:\n    steps: [x]\n`,
      'ci/more.yml': `include: [../../outside.yml]\njobs:\n  b:\n    extends: x-${SECRET}\n    image: "${SECRET} x"\n    steps: [x]\n`,
    })
    const res = await postJson(s.url, '/v1/runs', {file: 'jobs.yml'})
    expect(res.status).toBe(422)
    const {error} = res.json()
    expect(error.code).toBe('invalid_pipeline')
    expect(error.diagnostics.map((d: {file: string; line: number; path: string}) => [d.file, d.line, d.path])).toEqual([
      ['ci/more.yml', 1, 'include[0]'],
      ['ci/more.yml', 4, 'jobs.b.extends'],
      ['ci/more.yml', 5, 'jobs.b.image'],
    ])
    expect(error.diagnostics[0].message).toContain('include only files of the project')
    for (const piece of [SECRET, 'hunter2', 's3cr3t', 'outside.yml']) expect(res.text, res.text).not.toContain(piece)
  })
})

describe('publicDiagnostics', () => {
  it('keeps positions, key paths and what was expected; drops the values', async () => {
    const s = await serve({
      'bad.yml': 'version: 1\njobs:\n  build:\n    image: x\n    timeout: ten\n    steps: [true]\n    token: abc\n    needs: [nowhere]\n',
    })
    const error = await diagnosticsOf(s.dir, 'bad.yml')
    const text = `version: 1\njobs:\n  build:\n    image: x\n    timeout: ten\n    steps: [true]\n    token: abc\n    needs: [nowhere]\n`
    const shown = publicDiagnostics(error.diagnostics, text)
    expect(shown.map((d) => [d.line, d.path])).toEqual(error.diagnostics.map((d) => [d.line, d.path]))
    const byPath = Object.fromEntries(shown.map((d) => [d.path, d.message]))
    // Text that is not a value of the file stays, keys included.
    expect(byPath['jobs.build.timeout']).toBe('expected a duration like "10m"')
    expect(byPath['jobs.build.steps[0]']).toBe('expected a string or a mapping')
    expect(byPath['jobs.build.token']).toMatch(/^unknown key "token"/)
    expect(JSON.stringify(shown)).not.toMatch(/ten"|abc|nowhere/)
  })

  it('reduces YAML syntax errors to their kind', () => {
    const [d] = publicDiagnostics([{file: 'x.yml', line: 1, column: 1, path: '', message: `invalid YAML: Unexpected token: "${SECRET}"`}], undefined)
    expect(d).toEqual({file: 'x.yml', line: 1, column: 1, path: '', message: 'invalid YAML syntax'})
  })
})
