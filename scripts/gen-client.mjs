#!/usr/bin/env node
// Generates src/client/openapi.ts, the types of the typed client (`orca-runner/client`), from the
// OpenAPI document the server builds from its routes' schemas (dist/, so `npm run build` first).
// Committed, so the client type-checks from a fresh clone; test/client/generated.test.ts fails when
// it drifts from the routes. `node scripts/gen-client.mjs` writes it (run by `npm run docs`).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const CLIENT_TYPES = join(ROOT, 'src/client/openapi.ts')

/** The TypeScript of the document's paths and schemas, as committed. */
export async function clientTypes(document) {
  const {default: openapiTS, astToString} = await import('openapi-typescript')
  const header = '// Generated from the OpenAPI document of `orca serve` by scripts/gen-client.mjs: change the routes and run `npm run docs`.\n\n'
  return header + astToString(await openapiTS(document, {alphabetize: true}))
}

/** The OpenAPI document of a server over an empty project, with a fixed version so the output is stable. */
export async function servedDocument(modules) {
  const dir = mkdtempSync(join(tmpdir(), 'orca-openapi-'))
  try {
    const config = await modules.loadConfig({cwd: dir, env: {}})
    const server = await modules.createServer({projectDir: dir, config, env: {}, orcaVersion: '0.0.0'})
    await server.app.ready()
    const document = server.app.swagger()
    await server.app.close()
    return document
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [{createServer}, {loadConfig}] = await Promise.all([import('../dist/server/app.js'), import('../dist/engine/config/load.js')])
  writeFileSync(CLIENT_TYPES, await clientTypes(await servedDocument({createServer, loadConfig})))
}
