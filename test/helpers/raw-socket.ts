import {connect} from 'node:net'

/**
 * Sends one request over a plain socket with the request target exactly as given (percent-escapes,
 * dot segments, absolute form: an HTTP client library would normalise them) and reads the reply.
 */
export function rawSocket(port: number, target: string, options: {method?: string; headers?: Record<string, string>} = {}): Promise<{status: number; head: string; body: string}> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let buffer = Buffer.alloc(0)
    const headers = {host: `127.0.0.1:${port}`, connection: 'close', ...options.headers}
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${options.method ?? 'GET'} ${target.slice(0, 80)}`)))
    socket.on('connect', () => {
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`)
      socket.write(`${options.method ?? 'GET'} ${target} HTTP/1.1\r\n${lines.join('')}\r\n`)
    })
    const done = (): void => {
      const text = buffer.toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const head = split === -1 ? text : text.slice(0, split)
      const body = split === -1 ? '' : text.slice(split + 4)
      socket.destroy()
      resolve({status: Number(/^HTTP\/1\.\d (\d{3})/.exec(head)?.[1] ?? 0), head, body: /^transfer-encoding: chunked/im.test(head) ? unchunk(body) : body})
    }
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      // A kept-alive connection does not end: stop at the end of the response.
      const split = buffer.indexOf('\r\n\r\n')
      if (split === -1) return
      const head = buffer.subarray(0, split).toString('latin1')
      const body = buffer.subarray(split + 4)
      const length = /^content-length: *(\d+)/im.exec(head)?.[1]
      if (options.method === 'HEAD' || /^HTTP\/1\.\d (1\d\d|204|304)/.test(head)) done()
      else if (length !== undefined && body.length >= Number(length)) done()
      else if (/^transfer-encoding: chunked/im.test(head) && body.subarray(-5).toString() === '0\r\n\r\n') done()
    })
    socket.on('error', reject)
    socket.on('end', done)
  })
}

/** The payload of a chunked body. */
function unchunk(body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const line = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, line), 16)
    if (line === -1 || !(size > 0)) return out
    out += rest.slice(line + 2, line + 2 + size)
    rest = rest.slice(line + 2 + size + 2)
  }
}
