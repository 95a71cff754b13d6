#!/usr/bin/env node
// The folder import graph of src/, from the TypeScript sources' own import statements.
// test/docs/architecture.test.ts checks it has no cycle, that the engine imports no view, server,
// MCP or CLI module, and that the picture in docs/architecture.md is the one drawn here;
// `npm run docs` redraws that picture. `node scripts/import-graph.mjs` prints the edges with the
// imports behind each.
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Folders outside the engine that consume it; the engine imports none of them. */
export const CONSUMERS = ['cli', 'commands', 'mcp', 'server', 'views']
/** Packages of the terminal, HTTP and MCP layers; the engine imports none of them either. */
export const CONSUMER_PACKAGES = ['@oclif/core', 'ink', 'react', 'fastify', '@modelcontextprotocol/sdk']

function sourceFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : []
  })
}

/**
 * The folder a source file belongs to: `engine/<area>` inside the engine (`engine` for its shared
 * files at the top), `views/<area>` inside the views, the top folder otherwise.
 */
export function folderOf(file) {
  const parts = file.split('/').slice(0, -1)
  return parts[0] === 'engine' || parts[0] === 'views' ? parts.slice(0, 2).join('/') : parts[0]
}

/** Every import of src/ (static, dynamic, type-only, re-export): {from, to} as paths under src/, or a package name. */
export function sourceImports(root = ROOT) {
  const src = join(root, 'src')
  const imports = []
  for (const file of sourceFiles(src)) {
    const from = relative(src, file)
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    for (const {fileName} of info.importedFiles) {
      if (fileName.startsWith('.')) {
        imports.push({from, to: relative(src, resolve(dirname(file), fileName)).replace(/\.js$/, '.ts')})
      } else if (!fileName.startsWith('node:')) {
        imports.push({from, to: fileName, package: true})
      }
    }
  }
  return imports
}

/** Folder → folders it imports (itself left out). */
export function folderGraph(imports = sourceImports()) {
  const graph = new Map()
  for (const {from, to, package: isPackage} of imports) {
    const a = folderOf(from)
    if (!graph.has(a)) graph.set(a, new Set())
    if (isPackage) continue
    const b = folderOf(to)
    if (!graph.has(b)) graph.set(b, new Set())
    if (a !== b) graph.get(a).add(b)
  }
  return graph
}

/** Each group of folders that import each other in a circle (strongly connected components of two or more). */
export function folderCycles(graph) {
  const index = new Map()
  const low = new Map()
  const stack = []
  const onStack = new Set()
  const cycles = []
  let next = 0
  const visit = (v) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)))
    }
    if (low.get(v) === index.get(v)) {
      const component = []
      let w
      do {
        w = stack.pop()
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) cycles.push(component.sort())
    }
  }
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v)
  return cycles
}

/** Imports from the engine of a consumer folder or package, as "file -> import". */
export function engineLayerViolations(imports = sourceImports()) {
  return imports
    .filter(({from}) => folderOf(from).split('/')[0] === 'engine')
    .filter(({to, package: isPackage}) =>
      isPackage ? CONSUMER_PACKAGES.some((p) => to === p || to.startsWith(`${p}/`)) : CONSUMERS.includes(to.split('/')[0]),
    )
    .map(({from, to}) => `src/${from} -> ${to}`)
}

/** The arrows worth drawing: each folder's imports, less those a longer path already implies. */
function reduced(graph) {
  const reach = (from, skip) => {
    const seen = new Set()
    const todo = [...graph.get(from)].filter((n) => n !== skip)
    while (todo.length > 0) {
      const n = todo.pop()
      if (seen.has(n)) continue
      seen.add(n)
      todo.push(...(graph.get(n) ?? []))
    }
    return seen
  }
  const edges = []
  for (const a of [...graph.keys()].sort()) {
    for (const b of [...graph.get(a)].sort()) if (!reach(a, b).has(b)) edges.push([a, b])
  }
  return edges
}

/** The mermaid picture of the folder graph in docs/architecture.md. */
export function architectureDiagram(graph = folderGraph()) {
  const id = (folder) => folder.replace(/[/-]/g, '_')
  const label = (folder) => (folder === 'engine' ? 'engine (shared files)' : folder)
  const groups = {consumers: [], engine: []}
  for (const folder of [...graph.keys()].sort()) groups[folder.startsWith('engine') ? 'engine' : 'consumers'].push(folder)
  const lines = ['```mermaid', 'flowchart TD']
  lines.push('  subgraph consumers["consumers of the engine"]')
  for (const f of groups.consumers) lines.push(`    ${id(f)}["${label(f)}"]`)
  lines.push('  end', '  subgraph work["src/engine: the work"]')
  for (const f of groups.engine) lines.push(`    ${id(f)}["${label(f)}"]`)
  lines.push('  end')
  for (const [a, b] of reduced(graph)) lines.push(`  ${id(a)} --> ${id(b)}`)
  lines.push('```')
  return `${lines.join('\n')}\n`
}

export const DIAGRAM_START = '<!-- import graph: drawn by scripts/import-graph.mjs from src/, run `npm run docs` after changing imports -->'
export const DIAGRAM_END = '<!-- end of import graph -->'

/** docs/architecture.md with its picture redrawn from the sources. */
export function withDiagram(markdown, diagram = architectureDiagram()) {
  const start = markdown.indexOf(DIAGRAM_START)
  const end = markdown.indexOf(DIAGRAM_END)
  if (start < 0 || end < start) throw new Error(`docs/architecture.md lacks the markers of the import graph (${DIAGRAM_START})`)
  return `${markdown.slice(0, start + DIAGRAM_START.length)}\n${diagram}${markdown.slice(end)}`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const imports = sourceImports()
  const graph = folderGraph(imports)
  for (const a of [...graph.keys()].sort()) {
    for (const b of [...graph.get(a)].sort()) {
      console.log(`${a} -> ${b}`)
      for (const i of imports) if (!i.package && folderOf(i.from) === a && folderOf(i.to) === b) console.log(`    src/${i.from} -> src/${i.to}`)
    }
  }
  const cycles = folderCycles(graph)
  for (const cycle of cycles) console.log(`cycle: ${cycle.join(', ')}`)
  for (const v of engineLayerViolations(imports)) console.log(`engine imports a consumer: ${v}`)
}
