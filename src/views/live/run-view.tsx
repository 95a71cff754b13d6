import {Box, Text, useInput} from 'ink'

import {JobRow} from './job-row.js'
import {layoutJobs} from './layout.js'
import type {ViewSnapshot} from './model.js'
import {PullProgress, RunProgress} from './progress.js'

export interface RunViewProps {
  snapshot: ViewSnapshot
  now: number
  columns: number
  rows: number
}

/** The live frame: the jobs in plan order, image pulls, the progress bar and how to cancel. */
export function RunView({snapshot, now, columns, rows}: RunViewProps) {
  const layout = layoutJobs(snapshot, rows)
  const nameWidth = Math.min(24, Math.max(0, ...snapshot.jobs.map((j) => j.name.length)))
  const {done, pending, running} = layout.hidden
  const hidden = [done && `${done} done`, running && `${running} running`, pending && `${pending} pending`].filter(Boolean)
  return (
    <Box flexDirection="column" width={columns}>
      <Text wrap="truncate" color="gray">
        orca run {snapshot.runId}
      </Text>
      {layout.rows.map(({job, lines}) => (
        <JobRow key={job.name} job={job} now={now} nameWidth={nameWidth} lines={lines} />
      ))}
      {hidden.length > 0 ? <Text color="gray">  … {hidden.join(', ')}</Text> : null}
      {snapshot.pulls.map((pull) => (
        <PullProgress key={pull.image} pull={pull} width={columns} />
      ))}
      <RunProgress snapshot={snapshot} width={columns} />
      <CancelHint cancelling={snapshot.cancelling} />
    </Box>
  )
}

function CancelHint({cancelling}: {cancelling: number}) {
  if (cancelling === 0) return <Text color="gray">Ctrl-C to cancel</Text>
  if (cancelling === 1) return <Text color="yellow">cancelling the run… press Ctrl-C again to stop containers without waiting</Text>
  return <Text color="red">stopping containers now…</Text>
}

/** Ctrl-C as a key (stdin in raw mode sends no SIGINT): mounted only when stdin is a terminal. */
export function CancelKeys({onCancel}: {onCancel: () => void}) {
  useInput((input, key) => {
    if (key.ctrl && input === 'c') onCancel()
  })
  return null
}
