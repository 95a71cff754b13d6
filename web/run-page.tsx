// One run: its state, the pipeline graph, the timeline and the selected job's panel, all live.
import {useEffect, useState} from 'preact/hooks'

import type {JobRecord, RunRecord} from '../src/engine/records/record.js'
import {api, type ArtifactEntry} from './api.js'
import {PipelineGraph} from './graph.js'
import {LogView} from './log-view.js'
import {bytes, counts, duration, elapsed, label, stateText, time} from './format.js'
import {useRun, type RunData} from './run-data.js'
import {Timeline} from './timeline.js'

/** A clock for what is still running: ticks every second while `live`. */
function useNow(live: boolean): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    if (!live) return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [live])
  return live ? Math.max(now, Date.now()) : now
}

function CancelButton(props: {id: string}) {
  const [state, setState] = useState<string>()
  const cancel = async (): Promise<void> => {
    setState('cancelling…')
    try {
      await api(`/v1/runs/${encodeURIComponent(props.id)}/cancel`, {method: 'POST'})
      setState('cancelling')
    } catch (failure) {
      setState((failure as Error).message)
    }
  }
  return (
    <>
      <button type="button" class="danger" onClick={cancel}>
        Cancel run
      </button>
      {state ? <span role="status">{state}</span> : null}
    </>
  )
}

function Steps(props: {job: JobRecord}) {
  if (props.job.steps.length === 0) return null
  return (
    <table class="steps">
      <caption>Steps</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">State</th>
          <th scope="col">Exit code</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {props.job.steps.map((step) => (
          <tr key={step.index} data-step={step.index}>
            <td>{step.name}</td>
            <td>
              <span class={`badge state-${step.status}`}>{stateText(step.status)}</span>
            </td>
            <td class="exit-code">{step.exitCode ?? '–'}</td>
            <td>{duration(step.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Artifacts(props: {artifacts: ArtifactEntry[]; served: boolean}) {
  if (props.artifacts.length === 0) return null
  return (
    <section aria-labelledby="artifacts-heading">
      <h3 id="artifacts-heading">Artifacts</h3>
      <ul class="artifacts">
        {props.artifacts.map((artifact) => (
          <li key={artifact.path}>
            {/* The server sends artifacts as attachments with nosniff and a sandbox policy: a download, never a page. */}
            {props.served ? (
              <a href={artifact.url} download={artifact.path.split('/').pop()}>
                {artifact.path}
              </a>
            ) : (
              <span>{artifact.path}</span>
            )}{' '}
            <span class="muted">{bytes(artifact.size)}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** `orca explain JOB` as the server says it now: the job's key against the key it was last cached under. */
function Explain(props: {id: string; job: string}) {
  const [text, setText] = useState<string>()
  const [busy, setBusy] = useState(false)
  useEffect(() => setText(undefined), [props.job])
  const explain = async (): Promise<void> => {
    setBusy(true)
    try {
      setText((await api<{text: string}>(`/v1/runs/${encodeURIComponent(props.id)}/jobs/${encodeURIComponent(props.job)}/explain`)).text)
    } catch (failure) {
      setText((failure as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="explain">
      <button type="button" onClick={explain} disabled={busy}>
        {busy ? 'Explaining…' : 'Explain the cache key'}
      </button>
      {text === undefined ? null : (
        <pre class="explain-text" tabIndex={0} aria-label="Cache key explanation">
          {text}
        </pre>
      )}
    </div>
  )
}

function JobPanel(props: {run: RunData; record: RunRecord; name: string}) {
  const {run, record, name} = props
  const job = record.jobs[name]
  if (job === undefined) return <p>No job {name} in this run.</p>
  return (
    <section class="job-panel" aria-labelledby="job-heading" data-job={name}>
      <h2 id="job-heading">
        {label(job, name)} <span class={`badge state-${job.status}`}>{stateText(job.status)}</span>
      </h2>
      {job.error ? (
        <p class="error" role="alert">
          {job.error.message}
        </p>
      ) : null}
      {job.skippedReason ? <p>Skipped: {job.skippedReason}</p> : null}
      <dl class="facts">
        <dt>Duration</dt>
        <dd>{duration(job.durationMs)}</dd>
        <dt>Image</dt>
        <dd>{job.image ?? '–'}</dd>
        <dt>Cache</dt>
        <dd>
          {job.cache ?? '–'}
          {job.cachedFrom ? <> (recorded by run <a href={`#/runs/${job.cachedFrom}`}>{job.cachedFrom}</a>)</> : null}
        </dd>
        <dt>Cache key</dt>
        <dd class="mono">{job.key ?? '–'}</dd>
      </dl>
      {run.served ? <Explain id={record.id} job={name} /> : null}
      <Steps job={job} />
      <Artifacts artifacts={run.artifacts.filter((a) => a.job === name)} served={run.served} />
      <h3>Log</h3>
      <LogView log={run.logs.get(name)} version={run.version} label={`Log of ${label(job, name)}`} />
    </section>
  )
}

export function RunPage(props: {id: string; job: string | undefined}) {
  const run = useRun(props.id)
  const record = run.record
  const now = useNow(record?.status === 'running')
  const drawn = record !== undefined && run.graph !== undefined
  useEffect(() => {
    // When the page (timeline, job panel) is first on screen; the graph marks its own (bench/dashboard.mjs).
    if (drawn) performance.mark('orca:run-drawn')
  }, [drawn])
  const select = (job: string): void => {
    location.hash = `#/runs/${props.id}/${job}`
  }
  if (record === undefined) {
    return <main>{run.error ? <p class="error" role="alert">{run.error}</p> : <p>Loading…</p>}</main>
  }
  const c = counts(record)
  return (
    <main data-run={record.id} data-status={record.status}>
      <h1>
        Run {record.id} <span class={`badge state-${record.status}`}>{stateText(record.status)}</span>
      </h1>
      <p class="summary">
        {record.targets.length === 0 ? 'every job' : record.targets.join(', ')} · started {time(record.startedAt)} · {duration(elapsed(record, now))} · {c.ran} ran, {c.cached} cached
        {c.failed > 0 ? `, ${c.failed} failed` : ''}
        {record.status === 'running' && run.served ? <> · <CancelButton id={record.id} /></> : null}
      </p>
      {record.error ? (
        <p class="error" role="alert">
          {record.error.message}
        </p>
      ) : null}
      <section aria-labelledby="graph-heading">
        <h2 id="graph-heading">Pipeline</h2>
        <PipelineGraph record={record} graph={run.graph} selected={props.job} onSelect={select} />
      </section>
      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <Timeline record={record} graph={run.graph} now={now} selected={props.job} onSelect={select} />
      </section>
      {props.job ? <JobPanel run={run} record={record} name={props.job} /> : <p class="note">Select a job to see its steps, log and artifacts.</p>}
    </main>
  )
}
