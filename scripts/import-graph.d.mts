// Types of scripts/import-graph.mjs for test/docs/architecture.test.ts.
export interface SourceImport {
  from: string
  to: string
  package?: true
}
export const ROOT: string
export const CONSUMERS: string[]
export const CONSUMER_PACKAGES: string[]
export const DIAGRAM_START: string
export const DIAGRAM_END: string
export function folderOf(file: string): string
export function sourceImports(root?: string): SourceImport[]
export function folderGraph(imports?: SourceImport[]): Map<string, Set<string>>
export function folderCycles(graph: Map<string, Set<string>>): string[][]
export function engineLayerViolations(imports?: SourceImport[]): string[]
export function architectureDiagram(graph?: Map<string, Set<string>>): string
export function withDiagram(markdown: string, diagram?: string): string
