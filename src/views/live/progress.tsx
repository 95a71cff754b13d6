import {Text} from 'ink'

import {formatDuration} from '../../engine/duration.js'
import {formatBytes} from '../../engine/bytes.js'
import {bar} from './glyphs.js'
import type {PullView, ViewSnapshot} from './model.js'

/** Jobs settled out of the total, the run's time so far and, from past runs, about how long is left. */
export function RunProgress({snapshot, width}: {snapshot: ViewSnapshot; width: number}) {
  const fraction = snapshot.total === 0 ? 0 : snapshot.done / snapshot.total
  const eta = snapshot.etaMs === undefined ? '' : snapshot.etaMs > 0 ? ` · ~${formatDuration(snapshot.etaMs)} left` : ' · longer than usual'
  return (
    <Text wrap="truncate">
      <Text color="green">{bar(fraction, Math.max(10, Math.min(30, width - 50)))}</Text>
      <Text>
        {' '}
        {snapshot.done}/{snapshot.total} jobs · {formatDuration(snapshot.elapsedMs)}
      </Text>
      <Text color="gray">{eta}</Text>
    </Text>
  )
}

/** One image being pulled: a bar when the engine reports sizes, its status otherwise. */
export function PullProgress({pull, width}: {pull: PullView; width: number}) {
  const sized = pull.total !== undefined && pull.total > 0 && pull.current !== undefined
  return (
    <Text wrap="truncate">
      <Text color="gray">pulling </Text>
      <Text>{pull.image} </Text>
      {sized ? (
        <Text>
          <Text color="cyan">{bar(pull.current! / pull.total!, Math.max(10, Math.min(20, width - 60)))}</Text>
          {` ${formatBytes(pull.current!)}/${formatBytes(pull.total!)}`}
        </Text>
      ) : null}
      <Text color="gray"> {pull.status}</Text>
    </Text>
  )
}
