import {Box, Text} from 'ink'

import {formatDuration} from '../../engine/duration.js'
import {CacheBadge} from './job-row.js'
import {STATUS_ICON, statusText} from './glyphs.js'
import type {JobView, ViewSnapshot} from './model.js'

/** Output lines of a failed job kept on screen after the run. */
export const FAILURE_LINES = 10
const FAILED = new Set(['failed', 'timed_out'])

/** The last screen: every job with its state, time and cache use, the last lines of each failure, the totals. */
export function RunSummary({snapshot, columns}: {snapshot: ViewSnapshot; columns: number}) {
  const nameWidth = Math.max(0, ...snapshot.jobs.map((j) => j.name.length))
  const statusWidth = Math.max(0, ...snapshot.jobs.map((j) => statusText(j.status).length))
  const failed = snapshot.jobs.filter((j) => FAILED.has(j.status))
  const [icon, colour] = STATUS_ICON[snapshot.status]
  return (
    <Box flexDirection="column" width={columns}>
      {failed.map((job) => (
        <FailureTail key={job.name} job={job} />
      ))}
      <Text bold>Summary</Text>
      {snapshot.jobs.map((job) => (
        <SummaryRow key={job.name} job={job} nameWidth={nameWidth} statusWidth={statusWidth} />
      ))}
      {snapshot.jobs.flatMap((job) =>
        job.warnings.map((warning, i) => (
          <Text key={`${job.name}-warning-${i}`} color="yellow" wrap="wrap">
            {'  '}! {job.name}: {warning}
          </Text>
        )),
      )}
      {snapshot.remoteCache ? <Text color="gray">{snapshot.remoteCache}</Text> : null}
      {snapshot.volumes ? <Text color="gray">{snapshot.volumes}</Text> : null}
      <Text wrap="truncate">
        {totals(snapshot.jobs)}; <Text color={colour}>{icon} run {statusText(snapshot.status)} in {formatDuration(snapshot.elapsedMs)}</Text>
      </Text>
    </Box>
  )
}

function SummaryRow({job, nameWidth, statusWidth}: {job: JobView; nameWidth: number; statusWidth: number}) {
  const [icon, colour] = STATUS_ICON[job.status]
  const time = job.elapsedMs === null || job.status === 'skipped' ? '' : formatDuration(job.elapsedMs)
  return (
    <Text wrap="truncate">
      {'  '}
      <Text color={colour}>{icon}</Text> {job.name.padEnd(nameWidth)} <Text color={colour}>{statusText(job.status).padEnd(statusWidth)}</Text>{' '}
      {time.padStart(6)}
      <CacheBadge job={job} />
      {job.detail ? <Text color="gray"> {job.detail}</Text> : null}
    </Text>
  )
}

function FailureTail({job}: {job: JobView}) {
  const lines = job.lines.slice(-FAILURE_LINES)
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text color="red" wrap="truncate">
        ✗ {job.name}: {statusText(job.status)}
        {job.detail ? ` (${job.detail})` : ''}
        {lines.length > 0 ? `, last ${lines.length} line${lines.length === 1 ? '' : 's'}:` : ''}
      </Text>
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          <Text color="gray">{'  │ '}</Text>
          {line}
        </Text>
      ))}
    </Box>
  )
}

function totals(jobs: JobView[]): string {
  const counts = new Map<string, number>()
  for (const job of jobs) counts.set(statusText(job.status), (counts.get(statusText(job.status)) ?? 0) + 1)
  const parts = [...counts].map(([status, n]) => `${n} ${status}`)
  return `${jobs.length} job${jobs.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`
}
