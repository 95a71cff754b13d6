import * as z from 'zod'

import type {Explanation} from '../engine/cache/explain.js'
import type {ChangeArea, KeyChange} from '../engine/cache/diff.js'
import {boundedList, boundedText, statesOf} from './results.js'

/** Changes listed per job at most; the rest are counted. */
const MAX_CHANGES = 100

const AREAS = statesOf({format: 0, image: 0, definition: 0, services: 0, host: 0, git: 0, env: 0, secrets: 0, inputs: 0, needs: 0} satisfies Record<ChangeArea, 0>)
const STATES = statesOf({cached: 0, remote: 0, changed: 0, never: 0, gone: 0, unknown: 0, disabled: 0} satisfies Record<Explanation['state'], 0>)

export const jobExplanationSchema = z.object({
  job: z.string(),
  neededBy: z.string().nullable().describe('the job whose key changed because this one did; null for the job asked about'),
  state: z.enum(STATES).describe('cached: a run restores it; remote: in the remote cache, a run downloads and restores it; changed: its key differs from the last cached one; never: never cached; gone: same key, entry removed; unknown: key not known before running; disabled: cache: false'),
  key: z.string().nullable(),
  why: z.string(),
  last: z.object({key: z.string(), runId: z.string(), createdAt: z.string()}).nullable().describe('the key it was last cached under, and by which run'),
  changes: z.array(z.object({area: z.enum(AREAS), text: z.string(), path: z.string().optional(), need: z.string().optional(), service: z.string().optional(), command: z.string().optional()})),
  changesOmitted: z.number(),
})

export type JobExplanation = z.infer<typeof jobExplanationSchema>

/**
 * An explanation with the values of env variables left out: the agent sees which variables changed,
 * not what they hold (a value given with `-e` to an earlier run may be a credential).
 */
export function withoutEnvValues(explanation: Explanation): Explanation {
  return {
    ...explanation,
    changes: explanation.changes.map(hideEnvValue),
    upstream: explanation.upstream.map(withoutEnvValues),
  }
}

function hideEnvValue(change: KeyChange): KeyChange {
  if (change.area !== 'env') return change
  // The texts are `NAME added (value)`, `NAME removed (was value)` and `NAME: old → new`.
  const name = change.text.split(/[: ]/)[0] ?? ''
  const rest = change.text.slice(name.length)
  const what = rest.startsWith(' added (') ? 'added' : rest.startsWith(' removed (') ? 'removed' : 'changed'
  return {...change, text: `${name} ${what} (value not shown)`}
}

/** The explanation tree as a list: the job asked about first, then each needed job whose key changed. */
export function flattenExplanation(explanation: Explanation, neededBy: string | null = null): JobExplanation[] {
  const changes = boundedList(explanation.changes, MAX_CHANGES)
  const own: JobExplanation = {
    job: explanation.job,
    neededBy,
    state: explanation.state,
    key: explanation.key,
    why: boundedText(explanation.why),
    last: explanation.last ?? null,
    changes: changes.items.map((change) => ({...change, text: boundedText(change.text, 500)})),
    changesOmitted: changes.omitted,
  }
  return [own, ...explanation.upstream.flatMap((up) => flattenExplanation(up, explanation.job))]
}
