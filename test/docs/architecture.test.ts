import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  architectureDiagram,
  engineLayerViolations,
  folderCycles,
  folderGraph,
  folderOf,
  ROOT,
  sourceImports,
  withDiagram,
} from '../../scripts/import-graph.mjs'

describe('the layers of src/', () => {
  const imports = sourceImports()

  it('reads every kind of import: static, type-only, re-exports and dynamic ones', () => {
    const of = (file: string) => imports.filter((i) => i.from === file).map((i) => i.to)
    // A dynamic import (the CLI loads the engine lazily) and a type-only one.
    expect(of('commands/explain.ts')).toContain('engine/cache/explain-target.ts')
    expect(of('engine/run/scheduler.ts')).toContain('engine/cache/run-cache.ts')
    expect(imports.some((i) => i.package && i.to === 'ink')).toBe(true)
  })

  it('has no cycle between folders', () => {
    expect(folderCycles(folderGraph(imports))).toEqual([])
  })

  it('keeps the engine free of views, the server, MCP, the CLI and their packages', () => {
    expect(engineLayerViolations(imports)).toEqual([])
  })

  it('shows in docs/architecture.md the folder graph the code has', () => {
    const committed = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8')
    expect(committed, 'docs/architecture.md\'s picture is stale: run `npm run docs`').toBe(withDiagram(committed, architectureDiagram(folderGraph(imports))))
  })
})

describe('the checks themselves', () => {
  it('find a cycle through three folders, and none in a chain', () => {
    const graph = new Map([
      ['engine/run', new Set(['engine/records'])],
      ['engine/records', new Set(['engine/history'])],
      ['engine/history', new Set(['engine/run'])],
      ['views/run', new Set(['engine/run'])],
    ])
    expect(folderCycles(graph)).toEqual([['engine/history', 'engine/records', 'engine/run']])
    graph.get('engine/history')!.clear()
    expect(folderCycles(graph)).toEqual([])
  })

  it('catch an engine module importing a view, the server or Ink, and let consumers import the engine', () => {
    const violations = engineLayerViolations([
      {from: 'engine/run/scheduler.ts', to: 'views/run/plain.ts'},
      {from: 'engine/cache/explain.ts', to: 'server/app.ts'},
      {from: 'engine/records/store.ts', to: 'ink', package: true},
      {from: 'engine/records/store.ts', to: 'yaml', package: true},
      {from: 'views/run/plain.ts', to: 'engine/records/record.ts'},
      {from: 'mcp/server.ts', to: '@modelcontextprotocol/sdk/server/mcp.js', package: true},
    ])
    expect(violations).toEqual([
      'src/engine/run/scheduler.ts -> views/run/plain.ts',
      'src/engine/cache/explain.ts -> server/app.ts',
      'src/engine/records/store.ts -> ink',
    ])
  })

  it('name folders by area inside the engine and the views, and by their top folder elsewhere', () => {
    expect(folderOf('engine/executor/docker/exec.ts')).toBe('engine/executor')
    expect(folderOf('engine/errors.ts')).toBe('engine')
    expect(folderOf('views/live/live-view.tsx')).toBe('views/live')
    expect(folderOf('cli/flags/run.ts')).toBe('cli')
  })

  it('redraw the picture when an import adds an arrow', () => {
    const graph = folderGraph(sourceImports())
    const before = architectureDiagram(graph)
    graph.get('engine/init')!.add('views/cache')
    expect(architectureDiagram(graph)).not.toBe(before)
    expect(architectureDiagram(graph)).toContain('engine_init --> views_cache')
  })
})
