#!/usr/bin/env node
// orca from its TypeScript sources, without `npm run build`: oclif's development mode (stack traces,
// no manifest) with tsx compiling src/ as it is imported. For working on orca only; the installed
// `orca` is bin/run.cjs. Every command, `run` included, goes through oclif here.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {execute, settings} from '@oclif/core'
import {register} from 'tsx/esm/api'

register()
const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
// oclif would map ./dist/commands to the sources through tsconfig.json's rootDir, which is the
// repository (it also checks test/): point it at them instead, tsx being registered already.
pjson.oclif.commands = './src/commands'
settings.enableAutoTranspile = false
await execute({development: true, loadOptions: {root, pjson, ignoreManifest: true}})
