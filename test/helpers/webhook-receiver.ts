import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders
  body: string
}

export interface WebhookReceiver {
  url: string
  received: ReceivedDelivery[]
  close(): Promise<void>
}

/** An endpoint on loopback that records each delivery and answers the given statuses in turn (the last one from then on). */
export async function startWebhookReceiver(statuses: number[]): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      received.push({headers: request.headers, body})
      response.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)]!
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
