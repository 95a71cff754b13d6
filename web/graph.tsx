// The pipeline graph: jobs as nodes laid out by their needs (dagre, left to right), coloured by
// state, cached ones marked. The layout depends only on the jobs and needs, so it is computed once
// per run; states only recolour it.
import dagre from '@dagrejs/dagre'
import {useMemo} from 'preact/hooks'

import type {RunRecord} from '../src/engine/records/record.js'
import type {RunGraph} from './api.js'
import {label, stateText} from './format.js'

const NODE_WIDTH = 168
const NODE_HEIGHT = 40

interface Layout {
  width: number
  height: number
  nodes: Map<string, {x: number; y: number}>
  edges: {from: string; to: string; points: {x: number; y: number}[]}[]
}

function layOut(jobs: string[], needs: Record<string, string[]>): Layout {
  const graph = new dagre.graphlib.Graph()
  graph.setGraph({rankdir: 'LR', nodesep: 14, ranksep: 48, marginx: 8, marginy: 8})
  graph.setDefaultEdgeLabel(() => ({}))
  for (const job of jobs) graph.setNode(job, {width: NODE_WIDTH, height: NODE_HEIGHT})
  for (const job of jobs) for (const need of needs[job] ?? []) graph.setEdge(need, job)
  dagre.layout(graph)
  const nodes = new Map<string, {x: number; y: number}>()
  for (const job of jobs) {
    const node = graph.node(job)
    nodes.set(job, {x: node.x - NODE_WIDTH / 2, y: node.y - NODE_HEIGHT / 2})
  }
  const edges = graph.edges().map((e) => ({from: e.v, to: e.w, points: graph.edge(e).points ?? []}))
  const size = graph.graph()
  return {width: size.width ?? 0, height: size.height ?? 0, nodes, edges}
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

export function PipelineGraph(props: {record: RunRecord; graph: RunGraph | undefined; selected: string | undefined; onSelect: (job: string) => void}) {
  const {record, graph, selected, onSelect} = props
  const jobs = Object.keys(record.jobs)
  const shape = `${jobs.join(',')}|${JSON.stringify(graph?.needs ?? {})}`
  const layout = useMemo(() => layOut(jobs, graph?.needs ?? {}), [shape])
  return (
    <div class="graph-scroll">
      <svg class="graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-label="Pipeline graph">
        <defs>
          <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto">
            <path d="M0,0 L8,4 L0,8 z" class="arrow-head" />
          </marker>
        </defs>
        {layout.edges.map((edge) => (
          <path key={`${edge.from}>${edge.to}`} class="edge" marker-end="url(#arrow)" d={edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ')} />
        ))}
        {jobs.map((name) => {
          const job = record.jobs[name]!
          const at = layout.nodes.get(name)!
          const cached = job.status === 'cached'
          const activate = () => onSelect(name)
          const shownName = truncate(label(job, name), 20)
          const shownState = cached ? '⟲ cached' : stateText(job.status)
          return (
            <g
              key={name}
              class={`node state-${job.status}${selected === name ? ' selected' : ''}`}
              transform={`translate(${at.x},${at.y})`}
              role="button"
              tabIndex={0}
              data-job={name}
              data-state={job.status}
              aria-pressed={selected === name}
              onClick={activate}
              onKeyDown={(event) => {
                if (event.key === 'Enter' || event.key === ' ') {
                  event.preventDefault()
                  activate()
                }
              }}
            >
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
              <text x="10" y="17" class="node-name">{shownName}</text>
              <text x="10" y="32" class="node-state">{shownState}</text>
            </g>
          )
        })}
      </svg>
      {graph && !graph.fromFile ? <p class="note">The jobs file is gone or changed: needs are not shown.</p> : null}
    </div>
  )
}
