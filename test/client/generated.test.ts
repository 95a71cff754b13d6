import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

// @ts-expect-error: a plain .mjs script, no types
import {CLIENT_TYPES, clientTypes, servedDocument} from '../../scripts/gen-client.mjs'
import {loadConfig} from '../../src/engine/config/load.js'
import {createServer} from '../../src/server/app.js'

describe('the typed client (orca-runner/client)', () => {
  it("has the types of the server's routes as they are now (run `npm run docs` after changing a route)", async () => {
    const generated = (await clientTypes(await servedDocument({createServer, loadConfig}))) as string
    expect(readFileSync(CLIENT_TYPES as string, 'utf8')).toBe(generated)
  })

  it('needs nothing at run time but fetch: it imports no module', () => {
    const source = readFileSync(new URL('../../src/client/index.ts', import.meta.url), 'utf8')
    const imports = [...source.matchAll(/^(import|export) (?!type )[^;]*? from '([^']+)'/gm)].map((m) => m[2])
    expect(imports).toEqual([])
  })
})
