#!/usr/bin/env node
// Keeps the orca version that the docs and the hook examples name (`orca-runner@0.1.0`,
// `rev: v0.1.0`) equal to package.json's. `npm version` runs this as the "version" script, so the
// release commit carries them; `--check` only compares (exit 1 when a file names another version).
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {ROOT} from './gen-docs.mjs'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

/** The files that name a version of orca, relative to the repository. */
export function versionedFiles(root = ROOT) {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)
  return ['README.md', '.pre-commit-hooks.yaml', ...docs]
}

const escaped = pkg.name.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
const MENTION = new RegExp(`(${escaped}@|rev: v)(\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?)`, 'g')

/** Every version named in `text`, with its line. */
export function versionMentions(text) {
  return [...text.matchAll(MENTION)].map((m) => ({version: m[2], line: text.slice(0, m.index).split('\n').length}))
}

/** `text` with every version it names replaced by `version`. */
export function withVersion(text, version = pkg.version) {
  return text.replaceAll(MENTION, (_match, prefix) => `${prefix}${version}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const file of versionedFiles()) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const updated = withVersion(text)
    if (updated === text) continue
    if (check) {
      stale++
      for (const m of versionMentions(text).filter((m) => m.version !== pkg.version)) console.error(`${file}:${m.line} names ${m.version}, not ${pkg.version}`)
    } else {
      writeFileSync(join(ROOT, file), updated)
      console.log(`${file}: now names ${pkg.version}`)
    }
  }
  process.exitCode = stale > 0 ? 1 : 0
}
