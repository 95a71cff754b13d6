import {execFileSync} from 'node:child_process'
import {existsSync, renameSync, rmSync} from 'node:fs'
import {join, resolve} from 'node:path'

// gitlab-ci-local is a peer tool, not a dependency of orca: installed once per checkout into
// node_modules/.cache (like a test image built once per tag). 4.70.0 is the newest that runs on Node 20.
const GITLAB_CI_LOCAL = '4.70.0'
const TOOL_DIR = resolve(import.meta.dirname, `../../node_modules/.cache/orca-test/gitlab-ci-local-${GITLAB_CI_LOCAL}`)

/** The script to run with node: gitlab-ci-local's entry point. */
export const GITLAB_CI_LOCAL_ENTRY = join(TOOL_DIR, 'node_modules/gitlab-ci-local/dist/index.js')

/** Installs gitlab-ci-local when this checkout does not have it yet (in beforeAll, with a long timeout). */
export function installGitlabCiLocal(): void {
  if (existsSync(GITLAB_CI_LOCAL_ENTRY)) return
  // Installed aside and moved into place: an interrupted install leaves no half-filled copy behind.
  const fresh = `${TOOL_DIR}.${process.pid}.tmp`
  rmSync(fresh, {recursive: true, force: true})
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--no-package-lock', '--loglevel=error', '--prefix', fresh, `gitlab-ci-local@${GITLAB_CI_LOCAL}`], {stdio: 'ignore'})
  rmSync(TOOL_DIR, {recursive: true, force: true})
  renameSync(fresh, TOOL_DIR)
}
