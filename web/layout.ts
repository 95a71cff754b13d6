// The pipeline graph's layout (dagre, left to right by needs). It depends only on the jobs and their
// needs; for a large pipeline it takes long enough (seconds for 200 jobs with a few needs each on a
// loaded machine) to run in a worker, so the page renders and takes input meanwhile.
import dagre from '@dagrejs/dagre'

export const NODE_WIDTH = 168
export const NODE_HEIGHT = 40

export interface Layout {
  width: number
  height: number
  nodes: Record<string, {x: number; y: number}>
  edges: {from: string; to: string; points: {x: number; y: number}[]}[]
}

export function layOut(jobs: string[], needs: Record<string, string[]>): Layout {
  const graph = new dagre.graphlib.Graph()
  graph.setGraph({rankdir: 'LR', nodesep: 14, ranksep: 48, marginx: 8, marginy: 8})
  graph.setDefaultEdgeLabel(() => ({}))
  for (const job of jobs) graph.setNode(job, {width: NODE_WIDTH, height: NODE_HEIGHT})
  for (const job of jobs) for (const need of needs[job] ?? []) graph.setEdge(need, job)
  dagre.layout(graph)
  const nodes: Layout['nodes'] = {}
  for (const job of jobs) {
    const node = graph.node(job)
    nodes[job] = {x: node.x - NODE_WIDTH / 2, y: node.y - NODE_HEIGHT / 2}
  }
  const edges = graph.edges().map((e) => ({from: e.v, to: e.w, points: graph.edge(e).points ?? []}))
  const size = graph.graph()
  return {width: size.width ?? 0, height: size.height ?? 0, nodes, edges}
}
