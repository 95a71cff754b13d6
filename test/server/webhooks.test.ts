import {afterEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../src/engine/config/load.js'
import {createServer as createOrcaServer} from '../../src/server/app.js'
import {KeyStore} from '../../src/server/auth/key-store.js'
import {signPayload, verifySignature} from '../../src/server/webhooks/signature.js'
import {backoffDelay, MAX_BACKOFF_MS} from '../../src/server/webhooks/webhooks.js'
import {startWebhookReceiver, type WebhookReceiver} from '../helpers/webhook-receiver.js'
import {eventually} from './gated-executor.js'
import {GROUPS_YML, postJson, raw, serversPerTest} from './server-helpers.js'

const serve = serversPerTest()
const SECRET = 'webhook-secret-0123456789'

describe('webhook signatures', () => {
  it('signs the timestamp and the body; a receiver accepts it and refuses a changed body, a wrong secret or an old timestamp', () => {
    const body = '{"type":"run.finished"}'
    const header = signPayload(SECRET, body, 1_700_000_000)
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/)
    const at = {nowSeconds: 1_700_000_010}
    expect(verifySignature(header, body, SECRET, at)).toBe(true)
    expect(verifySignature(header, body.replace('run', 'nur'), SECRET, at)).toBe(false)
    expect(verifySignature(header, body, `${SECRET}x`, at)).toBe(false)
    expect(verifySignature(header, body, SECRET, {nowSeconds: 1_700_000_000 + 301})).toBe(false)
    expect(verifySignature(undefined, body, SECRET, at)).toBe(false)
    expect(verifySignature('t=1700000000,v1=zz', body, SECRET, at)).toBe(false)
  })
})

describe('backoffDelay', () => {
  it('doubles from the configured wait, up to ten minutes', () => {
    expect([1, 2, 3, 4].map((retry) => backoffDelay(retry, 1000))).toEqual([1000, 2000, 4000, 8000])
    expect(backoffDelay(20, 1000)).toBe(MAX_BACKOFF_MS)
  })
})

const receivers: WebhookReceiver[] = []
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close()
})

/** A receiver on loopback, closed after the test. */
async function receiver(statuses: number[]): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(statuses)
  receivers.push(started)
  return started
}

describe('webhooks of orca serve', () => {
  it('sends run.finished signed to a receiver on loopback, retries after its 500, and lists the attempts to admins only', async () => {
    const hook = await receiver([500, 200])
    const config = `serve:\n  webhooks:\n    - url: ${hook.url}\n      secret: ${SECRET}\n      events: [run.finished]\n      backoff: 100ms\n      retries: 3\n`
    const s = await serve({'jobs.yml': GROUPS_YML, 'orca.config.yml': config})
    const keys = KeyStore.forRunsDir(s.runsDir)
    const admin = keys.add('admin', ['admin']).secret
    const runner = keys.add('runner', ['run', 'read']).secret

    const started = await postJson(s.url, '/v1/runs', {targets: ['c']}, {authorization: `Bearer ${runner}`})
    expect(started.status).toBe(202)
    const runId = started.json().id as string
    await eventually(() => hook.received.length >= 2)
    expect(hook.received).toHaveLength(2)

    for (const {headers, body} of hook.received) {
      expect(verifySignature(headers['orca-signature'] as string, body, SECRET)).toBe(true)
      expect(headers['orca-event']).toBe('run.finished')
    }
    const first = JSON.parse(hook.received[0]!.body)
    expect(first).toMatchObject({type: 'run.finished', data: {runId, status: 'succeeded', url: `/v1/runs/${runId}`}})
    // A retry is the same delivery (same id and body), signed afresh.
    expect(hook.received[1]!.body).toBe(hook.received[0]!.body)
    expect(hook.received[1]!.headers['orca-delivery']).toBe(first.id)

    expect((await raw(s.url, '/v1/webhooks/deliveries', {headers: {authorization: `Bearer ${runner}`}})).status).toBe(403)
    const listed = await raw(s.url, '/v1/webhooks/deliveries', {headers: {authorization: `Bearer ${admin}`}})
    expect(listed.status).toBe(200)
    const [delivery] = listed.json().deliveries
    expect(delivery).toMatchObject({id: first.id, event: 'run.finished', url: hook.url, state: 'delivered'})
    expect(delivery.attempts.map((a: {status: number}) => a.status)).toEqual([500, 200])
  })

  it('gives up after the configured retries and says so', async () => {
    const hook = await receiver([503])
    const config = `serve:\n  webhooks:\n    - url: ${hook.url}\n      secret: ${SECRET}\n      events: [run.finished]\n      backoff: 50ms\n      retries: 2\n`
    const s = await serve({'jobs.yml': GROUPS_YML, 'orca.config.yml': config})
    expect((await postJson(s.url, '/v1/runs', {targets: ['a']})).status).toBe(202)
    await eventually(async () => (await raw(s.url, '/v1/webhooks/deliveries')).json().deliveries[0]?.state === 'failed')
    expect(hook.received).toHaveLength(3)
  })

  it('refuses to start when a webhook\'s secret variable is unset, naming it', async () => {
    const config = await loadConfig({cwd: process.cwd(), env: {}})
    config.serve.webhooks = [{url: 'http://127.0.0.1:9/hook', secretEnv: 'HOOK_SECRET_UNSET', events: ['run.finished'], retries: 0, backoffMs: 10, timeoutMs: 100}]
    await expect(createOrcaServer({projectDir: process.cwd(), config, env: {}, orcaVersion: '0'})).rejects.toThrow('serve.webhooks[0]: HOOK_SECRET_UNSET is not set')
  })
})
