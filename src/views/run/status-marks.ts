import type {JobStatus, RunStatus} from '../../engine/records/events.js'

export type Tone = 'muted' | 'blue' | 'green' | 'cyan' | 'red' | 'yellow'

/** The glyph and tone of each state, shared by the line reporters and the live view. */
export const STATUS_MARK: Record<JobStatus | RunStatus, [string, Tone]> = {
  pending: ['·', 'muted'],
  running: ['▶', 'blue'],
  succeeded: ['✓', 'green'],
  cached: ['✓', 'cyan'],
  failed: ['✗', 'red'],
  timed_out: ['✗', 'red'],
  cancelled: ['✗', 'yellow'],
  skipped: ['○', 'muted'],
  abandoned: ['✗', 'red'],
}
