import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {BuildContexts, buildTag, hashBuildContext, listBuildContext} from '../../../src/engine/cache/build-context.js'
import type {ImageBuild} from '../../../src/engine/pipeline/types.js'
import {job} from '../../helpers/pipeline.js'

let dirs: string[] = []
afterEach(() => {
  dirs.forEach((dir) => rmSync(dir, {recursive: true, force: true}))
  dirs = []
})

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-build-context-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  return dir
}

const BUILD: ImageBuild = {context: 'ci', dockerfile: 'Dockerfile', args: {}}

describe('listBuildContext', () => {
  it("leaves out what .dockerignore excludes, with Docker's rules: anchored at the context, ** and ! exceptions", () => {
    const dir = project({
      'Dockerfile': 'FROM x',
      '.dockerignore': '# build output\nnode_modules\n*.log\n**/*.tmp\ndocs/**\n!docs/keep.md\n',
      'app.js': '',
      'debug.log': '',
      'sub/debug.log': '',
      'sub/a.tmp': '',
      'node_modules/x/index.js': '',
      'sub/node_modules/y.js': '',
      'docs/a.md': '',
      'docs/keep.md': '',
    })
    // `*.log` is anchored at the context (unlike .gitignore): sub/debug.log stays, as does sub/node_modules.
    expect(listBuildContext(dir, 'Dockerfile')).toEqual(['.dockerignore', 'Dockerfile', 'app.js', 'docs/keep.md', 'sub/debug.log', 'sub/node_modules/y.js'])
  })

  it('keeps the Dockerfile and .dockerignore even when ignored (the builder reads them), and skips excluded folders', () => {
    const dir = project({'Dockerfile': 'FROM x', '.dockerignore': '*\n', 'a.txt': '', '.orca/runs/r/run.json': '{}'})
    expect(listBuildContext(dir, 'Dockerfile')).toEqual(['.dockerignore', 'Dockerfile'])
    const open = project({'Dockerfile': 'FROM x', 'a.txt': '', '.orca/runs/r/run.json': '{}'})
    expect(listBuildContext(open, 'Dockerfile', [join(open, '.orca/runs')])).toEqual(['Dockerfile', 'a.txt'])
  })

  it('lists a link as a link, never following it out of the context', () => {
    const dir = project({'ci/Dockerfile': 'FROM x', 'outside/secret': 's'})
    symlinkSync('../outside', join(dir, 'ci/link'))
    expect(listBuildContext(join(dir, 'ci'), 'Dockerfile')).toEqual(['Dockerfile', 'link'])
  })
})

describe('hashBuildContext', () => {
  it('changes its digest with a context file, the Dockerfile, an arg, the target or the platform, and not with an ignored file', () => {
    const dir = project({'ci/Dockerfile': 'FROM x', 'ci/a.txt': 'a', 'ci/.dockerignore': 'scratch\n', 'ci/scratch': '1'})
    const first = hashBuildContext(dir, BUILD).digest
    writeFileSync(join(dir, 'ci/scratch'), '2')
    expect(hashBuildContext(dir, BUILD).digest).toBe(first)
    expect(hashBuildContext(dir, {...BUILD, args: {V: '1'}}).digest).not.toBe(first)
    expect(hashBuildContext(dir, {...BUILD, target: 'test'}).digest).not.toBe(first)
    expect(hashBuildContext(dir, BUILD, {platform: 'linux/arm64'}).digest).not.toBe(first)
    writeFileSync(join(dir, 'ci/a.txt'), 'b')
    const changed = hashBuildContext(dir, BUILD)
    expect(changed.digest).not.toBe(first)
    expect(changed.files.map((f) => f.path)).toEqual(['.dockerignore', 'Dockerfile', 'a.txt'])
  })

  it('says when the Dockerfile or the context is missing, or the context leaves the project', () => {
    const dir = project({'ci/a.txt': 'a'})
    expect(() => hashBuildContext(dir, BUILD)).toThrow('image build: no Dockerfile at ci/Dockerfile')
    expect(() => hashBuildContext(dir, {...BUILD, context: 'nope'})).toThrow('image build context "nope" is not a folder of the project')
    expect(() => hashBuildContext(dir, {...BUILD, context: '..'})).toThrow('image build context ".." is outside the project')
  })

  it('is hashed once per run for every job that names the same build, and tags the image by its digest', () => {
    const dir = project({'ci/Dockerfile': 'FROM x'})
    const contexts = new BuildContexts(dir)
    const a = contexts.of(job('a', {image: 'build:ci', build: BUILD}))
    writeFileSync(join(dir, 'ci/Dockerfile'), 'FROM y')
    expect(contexts.of(job('b', {image: 'build:ci', build: BUILD}))).toBe(a)
    expect(buildTag('0123456789ab', a)).toBe(`orca-build/0123456789ab:${a.digest.slice(0, 32)}`)
  })
})
