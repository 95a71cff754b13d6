// The timeline: one Gantt bar per job on the run's time axis: queued (its needs done, waiting for a
// slot), then running or cached, with a tick where each step started.
import type {RunRecord} from '../src/engine/records/record.js'
import type {RunGraph} from './api.js'
import {duration, label, stateText} from './format.js'

/** Where on the axis a time falls, in percent. */
function position(ms: number, start: number, span: number): string {
  return `${Math.min(100, Math.max(0, ((ms - start) / span) * 100)).toFixed(4)}%`
}

export function Timeline(props: {record: RunRecord; graph: RunGraph | undefined; now: number; selected: string | undefined; onSelect: (job: string) => void}) {
  const {record, graph, now, selected, onSelect} = props
  const start = Date.parse(record.startedAt)
  const end = record.finishedAt === null ? now : Date.parse(record.finishedAt)
  const span = Math.max(1, end - start)
  const finishedAt = (name: string): number | undefined => {
    const at = record.jobs[name]?.finishedAt
    return at ? Date.parse(at) : undefined
  }
  return (
    <div class="timeline" data-start={start} data-end={end}>
      <div class="axis" aria-hidden="true">
        <span>0</span>
        <span>{duration(span / 2)}</span>
        <span>{duration(span)}</span>
      </div>
      <ul class="timeline-rows">
        {Object.entries(record.jobs).map(([name, job]) => {
          const jobStart = job.startedAt === null ? undefined : Date.parse(job.startedAt)
          const jobEnd = job.finishedAt === null ? now : Date.parse(job.finishedAt)
          const ready = Math.max(start, ...(graph?.needs[name] ?? []).map((need) => finishedAt(need) ?? start))
          const kind = job.status === 'cached' ? 'cached' : job.status === 'running' ? 'running' : job.status
          return (
            <li key={name} class={selected === name ? 'selected' : ''}>
              <button type="button" class="row-label" onClick={() => onSelect(name)} aria-pressed={selected === name}>
                {label(job, name)}
              </button>
              <div class="track">
                {jobStart !== undefined && jobStart > ready ? (
                  <div class="bar queued" title={`queued ${duration(jobStart - ready)}`} style={{left: position(ready, start, span), width: position(start + (jobStart - ready), start, span)}} />
                ) : null}
                {jobStart !== undefined ? (
                  <div
                    class={`bar state-${kind}`}
                    data-job={name}
                    data-started-at={job.startedAt ?? ''}
                    data-finished-at={job.finishedAt ?? ''}
                    title={`${stateText(job.status)} ${duration(jobEnd - jobStart)}`}
                    style={{left: position(jobStart, start, span), width: position(start + Math.max(0, jobEnd - jobStart), start, span)}}
                  >
                    {job.steps.slice(1).filter((step) => step.startedAt !== null).map((step) => (
                      <div key={step.index} class="tick" style={{left: `${(((Date.parse(step.startedAt!) - jobStart) / Math.max(1, jobEnd - jobStart)) * 100).toFixed(3)}%`}} />
                    ))}
                  </div>
                ) : null}
                <span class="visually-hidden">
                  {stateText(job.status)}
                  {jobStart !== undefined ? `, ${duration(jobEnd - jobStart)}` : ''}
                </span>
              </div>
            </li>
          )
        })}
      </ul>
    </div>
  )
}
