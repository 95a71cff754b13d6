// gitlab-ci-local as the benches run it: installed outside the repo, with a helper image built here.
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

/** Where gitlab-ci-local is (GITLAB_CI_LOCAL; `none` = skip it). */
export const GCL = process.env.GITLAB_CI_LOCAL ?? '/tmp/gcl/node_modules/.bin/gitlab-ci-local'
export const useGcl = GCL !== 'none'
export const HELPER = 'orca-bench/gcl-helper:latest'
/** The environment it runs in: gitlab-ci-local reads every GCL_* variable as a flag of its own. */
export const gclEnv = Object.fromEntries(Object.entries({...process.env, NO_COLOR: '1', CI: '1'}).filter(([k]) => !k.startsWith('GCL_')))

/** Exits with a hint when gitlab-ci-local is wanted and missing. */
export function requireGcl() {
  if (useGcl && !existsSync(GCL)) {
    console.error(`gitlab-ci-local not found at ${GCL}; install it outside the repo:
  mkdir -p /tmp/gcl && cd /tmp/gcl && npm init -y && npm install gitlab-ci-local@4.70.0
or set GITLAB_CI_LOCAL=none to leave it out`)
    process.exit(2)
  }
}

function sh(command) {
  const result = spawnSync('sh', ['-c', command], {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr}`)
  return result.stdout
}

/** `image` plus the host's bash and rsync (and their libraries): what gitlab-ci-local needs as its helper without a registry. */
export function ensureHelperImage(image) {
  if (spawnSync('docker', ['image', 'inspect', HELPER], {stdio: 'ignore'}).status === 0) return
  const ctx = mkdtempSync(path.join(tmpdir(), 'orca-gcl-helper-'))
  try {
    const bins = ['bash', 'rsync'].map((b) => sh(`command -v ${b}`).trim())
    const libs = new Set(bins.flatMap((b) => sh(`ldd ${b}`).match(/\/[^\s)]+/g) ?? []))
    for (const file of [...bins, ...libs]) {
      mkdirSync(path.join(ctx, 'root', path.dirname(file)), {recursive: true})
      copyFileSync(file, path.join(ctx, 'root', file))
    }
    writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nCOPY root/ /\n`)
    sh(`docker build -q -t ${HELPER} ${ctx}`)
  } finally {
    rmSync(ctx, {recursive: true, force: true})
  }
}
