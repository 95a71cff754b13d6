import {Box, Text} from 'ink'

import {formatDuration} from '../../engine/duration.js'
import {spinnerFrame, STATUS_ICON, statusText} from './glyphs.js'
import type {JobView} from './model.js'

/** A job's cache use as a short badge: hit, miss, replayed; nothing when the job does not use the cache. */
export function CacheBadge({job}: {job: JobView}) {
  if (job.replayed) return <Text color="magenta"> replayed</Text>
  if (job.cache === 'hit') return <Text color="cyan">{job.remoteHit ? ' remote cache hit' : ' cache hit'}</Text>
  if (job.cache === 'miss') return <Text color="gray"> cache miss</Text>
  return null
}

function Timing({job}: {job: JobView}) {
  if (job.elapsedMs === null || job.status === 'skipped' || job.status === 'cached') return null
  const estimate = job.status === 'running' && job.estimateMs !== null ? `/~${formatDuration(job.estimateMs)}` : ''
  return <Text> {formatDuration(job.elapsedMs)}{estimate}</Text>
}

/** One line per job: state, name, time, cache badge and the running (or failing) step; then its last output lines. */
export function JobRow({job, now, nameWidth, lines}: {job: JobView; now: number; nameWidth: number; lines: number}) {
  const [icon, colour] = STATUS_ICON[job.status]
  const running = job.status === 'running'
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text color={colour}>{running ? spinnerFrame(now) : icon} </Text>
        <Text bold={running}>{job.name.padEnd(nameWidth)}</Text>
        {job.host ? <Text color="gray"> (host)</Text> : null}
        <Text color={colour}> {statusText(job.status)}</Text>
        <Timing job={job} />
        <CacheBadge job={job} />
        {running && job.step !== null ? <Text color="blue"> ▶ {job.step}</Text> : null}
        {!running && job.detail ? <Text color="gray"> {job.detail}</Text> : null}
        {job.warnings.length > 0 ? <Text color="yellow"> ! {job.warnings.length === 1 ? '1 warning' : `${job.warnings.length} warnings`}</Text> : null}
      </Text>
      {(lines > 0 ? job.lines.slice(-lines) : []).map((line, i) => (
        <Text key={i} wrap="truncate" color="gray">
          {'    │ '}
          {line}
        </Text>
      ))}
    </Box>
  )
}
