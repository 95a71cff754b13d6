import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {JsonReporter} from '../../../src/views/run/json.js'
import {diamondEvents} from '../../engine/records/diamond-events.js'
import {schemaValidators} from '../../engine/records/schemas.js'

describe('JsonReporter', () => {
  it('prints each event as one NDJSON line that matches the event schema', async () => {
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (chunk: Buffer) => chunks.push(chunk))
    const reporter = new JsonReporter(out)
    const events = diamondEvents()
    for (const event of events) reporter.handle(event)
    await reporter.close()

    const lines = Buffer.concat(chunks).toString().split('\n')
    expect(lines.pop()).toBe('')
    const parsed = lines.map((line) => JSON.parse(line) as unknown)
    expect(parsed).toEqual(events)
    const {event} = schemaValidators()
    expect(parsed.every((e) => event(e))).toBe(true)
  })
})
