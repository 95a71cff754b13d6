import type {JobStatus, RunStatus} from '../../engine/records/events.js'
import {STATUS_MARK} from '../run/status-marks.js'

export type Colour = 'gray' | 'blue' | 'green' | 'cyan' | 'red' | 'yellow' | 'magenta'

/** A state's glyph and its Ink colour. */
export const STATUS_ICON = Object.fromEntries(
  Object.entries(STATUS_MARK).map(([status, [glyph, tone]]) => [status, [glyph, tone === 'muted' ? 'gray' : tone]]),
) as Record<JobStatus | RunStatus, [string, Colour]>

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** The spinner frame for a moment in time: every spinner on screen turns together. */
export function spinnerFrame(now: number): string {
  return SPINNER[Math.floor(now / 80) % SPINNER.length]!
}

/** A bar of `width` cells filled to `fraction` (0..1), with eighth-cell precision. */
export function bar(fraction: number, width: number): string {
  const cells = Math.max(0, Math.min(1, fraction)) * width
  const full = Math.floor(cells)
  const part = Math.floor((cells - full) * 8)
  const partial = part > 0 && full < width ? ' ▏▎▍▌▋▊▉'[part]! : ''
  return '█'.repeat(full) + partial + '░'.repeat(Math.max(0, width - full - partial.length))
}

export function statusText(status: JobStatus | RunStatus): string {
  return status.replace('_', ' ')
}
