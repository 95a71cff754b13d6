import {describe, expect, it} from 'vitest'

import {imageIdFromResponse} from '../../../src/engine/cache/image-id.js'

const answer = (status: string, body: string): string => `HTTP/1.0 ${status}\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n\r\n${body}`

describe('imageIdFromResponse (image inspection over the engine socket)', () => {
  it('reads the ID of an image the engine has', () => {
    expect(imageIdFromResponse(answer('200 OK', '{"Id":"sha256:abc","RepoTags":["busybox:1.36"]}\n'))).toBe('sha256:abc')
  })

  it('says the image is absent on 404', () => {
    expect(imageIdFromResponse(answer('404 Not Found', '{"message":"No such image: nope:1"}\n'))).toBeUndefined()
  })

  it("fails with the engine's message on any other status", () => {
    expect(() => imageIdFromResponse(answer('500 Internal Server Error', '{"message":"boom"}\n'))).toThrow('engine answered 500: {"message":"boom"}')
  })

  it('fails on a redirect instead of following it', () => {
    const redirect = 'HTTP/1.0 301 Moved Permanently\r\nLocation: /127.0.0.1:8080/y/json\r\n\r\n'
    expect(() => imageIdFromResponse(redirect)).toThrow('engine answered 301 (a redirect); orca never follows redirects from the engine')
  })

  it('fails on an answer that is not HTTP, or cut before its body', () => {
    expect(() => imageIdFromResponse('SSH-2.0-OpenSSH\r\n')).toThrow('unexpected answer from the engine')
    expect(() => imageIdFromResponse('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n')).toThrow('unexpected answer')
    expect(() => imageIdFromResponse(answer('200 OK', '{"Id":"sha2'))).toThrow()
  })
})
