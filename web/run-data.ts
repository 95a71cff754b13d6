// A run as the page shows it: its record (a fold of its events, as run.json is), each job's log,
// the graph of its needs and its artifacts. Served: read from the API and kept live from the event
// stream. Embedded (`orca show --html`): read once from the data the file carries.
import {useEffect, useState} from 'preact/hooks'

import type {OrcaEvent} from '../src/engine/records/events.js'
import {logTextOf} from '../src/engine/records/log-header.js'
import {foldEvent, type RunRecord} from '../src/engine/records/record.js'
import {api, type ArtifactEntry, type RunGraph} from './api.js'
import {LogLines} from './log-lines.js'

/** What `orca show --html` embeds in the page (the element `#orca-data`). */
export interface EmbeddedRun {
  record: RunRecord
  graph: RunGraph
  logs: Record<string, string>
  artifacts: ArtifactEntry[]
}

export interface RunData {
  record: RunRecord | undefined
  graph: RunGraph | undefined
  logs: Map<string, LogLines>
  artifacts: ArtifactEntry[]
  /** Whether artifacts can be downloaded (served) or only listed (a file). */
  served: boolean
  error: string | undefined
  /** Changes whenever anything above did, so views re-render. */
  version: number
}

export function embeddedRun(): EmbeddedRun | undefined {
  const element = document.getElementById('orca-data')
  return element?.textContent ? (JSON.parse(element.textContent) as EmbeddedRun) : undefined
}

function fromEmbedded(data: EmbeddedRun): RunData {
  const logs = new Map<string, LogLines>()
  for (const [job, text] of Object.entries(data.logs)) logs.set(job, new LogLines().append(text, false))
  return {record: data.record, graph: data.graph, logs, artifacts: data.artifacts, served: false, error: undefined, version: 0}
}

/** The run, live: one event stream folded into its record and logs, re-rendered at most once a frame. */
export function useRun(id: string): RunData {
  const [data, setData] = useState<RunData>(() => {
    const embedded = embeddedRun()
    if (embedded) return fromEmbedded(embedded)
    return {record: undefined, graph: undefined, logs: new Map(), artifacts: [], served: true, error: undefined, version: 0}
  })
  useEffect(() => {
    if (!data.served) return
    const state: RunData = {record: undefined, graph: undefined, logs: new Map(), artifacts: [], served: true, error: undefined, version: 0}
    let folded: RunRecord | undefined
    let fetched: RunRecord | undefined
    let frame = 0
    let closed = false
    const render = (): void => {
      if (frame !== 0 || closed) return
      frame = requestAnimationFrame(() => {
        frame = 0
        state.version++
        setData({...state})
      })
    }
    const fail = (error: unknown): void => {
      state.error = error instanceof Error ? error.message : String(error)
      render()
    }
    const refreshArtifacts = (): void => {
      api<{artifacts: ArtifactEntry[]}>(`/v1/runs/${encodeURIComponent(id)}/artifacts`).then(({artifacts}) => {
        state.artifacts = artifacts
        render()
      }, () => undefined)
    }
    api<RunRecord>(`/v1/runs/${encodeURIComponent(id)}`).then((record) => {
      fetched = record
      state.record ??= record
      render()
    }, fail)
    api<RunGraph>(`/v1/runs/${encodeURIComponent(id)}/graph`).then((graph) => {
      state.graph = graph
      render()
    }, fail)
    refreshArtifacts()
    // Same origin: the session cookie goes with it; the browser resumes with Last-Event-ID by itself.
    const source = new EventSource(`/v1/runs/${encodeURIComponent(id)}/events`)
    source.onmessage = (message) => {
      const event = JSON.parse(message.data as string) as OrcaEvent
      folded = foldEvent(folded, event)
      // While the stream replays what happened before the page opened, the record read is further along.
      state.record = fetched !== undefined && folded.lastSeq < fetched.lastSeq ? fetched : folded
      const log = logTextOf(event)
      if (log !== undefined) {
        let lines = state.logs.get(log.job)
        if (lines === undefined) state.logs.set(log.job, (lines = new LogLines()))
        lines.append(log.text, log.header)
      }
      if (event.type === 'job.artifacts' || event.type === 'run.finished') refreshArtifacts()
      render()
    }
    source.addEventListener('end', () => source.close())
    source.onerror = () => {
      // A refused stream (the session expired) closes for good; a dropped one is retried by the browser.
      if (source.readyState === EventSource.CLOSED) api(`/v1/runs/${encodeURIComponent(id)}`).catch(fail)
    }
    return () => {
      closed = true
      source.close()
      cancelAnimationFrame(frame)
    }
  }, [id])
  return data
}
