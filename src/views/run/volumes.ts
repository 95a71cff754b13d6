import {formatBytes} from '../../engine/bytes.js'
import type {VolumeEvent} from '../../engine/records/events.js'
import type {RunRecord} from '../../engine/records/record.js'

/** A job's line for what the cache did with one of its keyed volumes, as it happens. */
export function volumeLine(event: VolumeEvent): string {
  if (event.type === 'volume.restored') {
    const from = event.source === 'remote' ? `the remote cache (${formatBytes(event.downloaded ?? 0)} downloaded)` : 'the local cache'
    return `volume ${event.volume} restored from ${from}: ${formatBytes(event.bytes)}`
  }
  if (event.to === 'local') return `volume ${event.volume} saved: ${formatBytes(event.bytes)}`
  if (event.result === 'failed') return `volume ${event.volume} not uploaded to the remote cache`
  return `volume ${event.volume} ${event.result === 'exists' ? 'already on' : 'uploaded to'} the remote cache`
}

/** What the cache did with the run's keyed volumes, in one line: `volumes: 1 restored (1 from the remote), 2 saved (1 uploaded)`; empty when nothing. */
export function volumesSummary(record: RunRecord): string {
  let restored = 0
  let fromRemote = 0
  let saved = 0
  let uploaded = 0
  let bytes = 0
  for (const job of Object.values(record.jobs)) {
    for (const volume of Object.values(job.volumes ?? {})) {
      if (volume.restored) {
        restored++
        bytes += volume.restored.bytes
        if (volume.restored.source === 'remote') fromRemote++
      }
      if (volume.saved) saved++
      if (volume.upload?.result === 'uploaded') uploaded++
    }
  }
  if (restored + saved === 0) return ''
  const parts = []
  if (restored > 0) parts.push(`${restored} restored (${formatBytes(bytes)}${fromRemote > 0 ? `, ${fromRemote} from the remote cache` : ''})`)
  if (saved > 0) parts.push(`${saved} saved${uploaded > 0 ? ` (${uploaded} uploaded)` : ''}`)
  return `volumes: ${parts.join(', ')}`
}
