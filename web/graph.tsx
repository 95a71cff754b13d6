// The pipeline graph: jobs as nodes laid out by their needs (dagre, left to right), coloured by
// state, cached ones marked. The layout depends only on the jobs and needs, so it is computed once
// per run; states only recolour it.
import {useEffect, useState} from 'preact/hooks'

import type {RunRecord} from '../src/engine/records/record.js'
import type {RunGraph} from './api.js'
import {label, stateText} from './format.js'
import {layOut, NODE_HEIGHT, NODE_WIDTH, type Layout} from './layout.js'

/**
 * The layout of these jobs and needs: computed in a worker when the page is served (a file from
 * `orca show --html` cannot start one, and lays out in the page). Undefined until it is ready.
 */
function useLayout(jobs: string[], needs: Record<string, string[]>, shape: string): Layout | undefined {
  const [layout, setLayout] = useState<{shape: string; layout: Layout}>()
  useEffect(() => {
    if (location.protocol === 'file:') {
      setLayout({shape, layout: layOut(jobs, needs)})
      return
    }
    const worker = new Worker(new URL('assets/dashboard-layout.js', document.baseURI), {type: 'module'})
    worker.onmessage = (event: MessageEvent<Layout>) => setLayout({shape, layout: event.data})
    worker.postMessage({jobs, needs})
    return () => worker.terminate()
  }, [shape])
  return layout?.shape === shape ? layout.layout : undefined
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

export function PipelineGraph(props: {record: RunRecord; graph: RunGraph | undefined; selected: string | undefined; onSelect: (job: string) => void}) {
  const {record, graph, selected, onSelect} = props
  const jobs = Object.keys(record.jobs)
  const shape = `${jobs.join(',')}|${JSON.stringify(graph?.needs ?? {})}`
  const layout = useLayout(jobs, graph?.needs ?? {}, shape)
  useEffect(() => {
    if (layout !== undefined) performance.mark('orca:graph-drawn')
  }, [layout])
  if (layout === undefined) {
    return (
      <div class="graph-scroll">
        <p class="note" role="status">
          Laying out {jobs.length} jobs…
        </p>
      </div>
    )
  }
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
          const at = layout.nodes[name]!
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
