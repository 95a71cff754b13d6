// The runs, newest first, a page at a time; the first page is read again every 2 s, so runs that
// start and end elsewhere (orca run, other clients) appear without a reload.
import {useEffect, useState} from 'preact/hooks'

import type {RunRecord} from '../src/engine/records/record.js'
import {api, type RunsPage} from './api.js'
import {counts, duration, elapsed, stateText} from './format.js'

const PAGE_SIZE = 20
const REFRESH_MS = 2000

function StartRun(props: {jobs: string[]}) {
  const [targets, setTargets] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const started = await api<{id: string}>('/v1/runs', {method: 'POST', body: {targets: targets.split(/[\s,]+/).filter(Boolean)}})
      location.hash = `#/runs/${started.id}`
    } catch (failure) {
      setError((failure as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="start-run" onSubmit={submit}>
      <label for="targets">Targets</label>
      <input id="targets" list="known-jobs" value={targets} placeholder="every job" onInput={(e) => setTargets((e.target as HTMLInputElement).value)} />
      <datalist id="known-jobs">
        {props.jobs.map((job) => (
          <option key={job} value={job} />
        ))}
      </datalist>
      <button type="submit" disabled={busy}>
        Start run
      </button>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  )
}

function RunRow(props: {run: RunRecord; now: number}) {
  const {run, now} = props
  const c = counts(run)
  return (
    <tr data-run={run.id} data-status={run.status}>
      <td>
        <span class={`badge state-${run.status}`}>{stateText(run.status)}</span>
      </td>
      <td>
        <a href={`#/runs/${run.id}`}>{run.id}</a>
      </td>
      <td>{run.targets.length === 0 ? 'every job' : run.targets.join(', ')}</td>
      <td>{new Date(run.startedAt).toLocaleString()}</td>
      <td>{duration(elapsed(run, now))}</td>
      <td>
        {c.ran} ran, {c.cached} cached{c.failed > 0 ? `, ${c.failed} failed` : ''}
      </td>
      <td>{run.host === null ? '–' : `${run.host}${run.pid === null ? '' : ` (pid ${run.pid})`}`}</td>
    </tr>
  )
}

export function RunsList() {
  const [pages, setPages] = useState<(string | undefined)[]>([undefined])
  const [page, setPage] = useState<RunsPage>()
  const [error, setError] = useState<string>()
  const [now, setNow] = useState(Date.now())
  const before = pages[pages.length - 1]
  useEffect(() => {
    let stopped = false
    let timer = 0
    const load = async (): Promise<void> => {
      try {
        const query = new URLSearchParams({limit: String(PAGE_SIZE)})
        if (before !== undefined) query.set('before', before)
        const next = await api<RunsPage>(`/v1/runs?${query}`)
        if (stopped) return
        setPage(next)
        setNow(Date.now())
        setError(undefined)
      } catch (failure) {
        if (!stopped) setError((failure as Error).message)
      }
      // Older pages do not change; the newest one does.
      if (!stopped && before === undefined) timer = window.setTimeout(load, REFRESH_MS)
    }
    void load()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [before])
  const jobs = [...new Set(page?.runs.flatMap((run) => Object.keys(run.jobs)) ?? [])].sort()
  return (
    <main>
      <h1>Runs</h1>
      <StartRun jobs={jobs} />
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {page === undefined ? (
        <p>Loading…</p>
      ) : page.runs.length === 0 ? (
        <p>No runs yet.</p>
      ) : (
        <table class="runs">
          <caption class="visually-hidden">Runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Run</th>
              <th scope="col">Targets</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Jobs</th>
              <th scope="col">Started by</th>
            </tr>
          </thead>
          <tbody>
            {page.runs.map((run) => (
              <RunRow key={run.id} run={run} now={now} />
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!page?.next} onClick={() => page?.next && setPages([...pages, page.next])}>
          Older
        </button>
      </nav>
    </main>
  )
}
