import {CACHE_CARRIERS, GITLAB_RUNNERS} from '../../engine/ci-export/render.js'
import {pipelineFileFlag} from './common.js'
import type {FlagTable} from './table.js'

/** `orca ci github`'s flags; `orca ci gitlab` has these and `--runner`. */
export const ciGithubFlags = {
  file: pipelineFileFlag,
  output: {type: 'string', char: 'o', helpValue: 'FILE', description: "where the file goes (default: the CI's place for it in the project); - prints it"},
  check: {type: 'boolean', description: 'write nothing: exit 1 and say what differs when the file is not what jobs.yml gives now (for pre-commit and CI)'},
  group: {type: 'string', multiple: true, helpValue: 'JOB', description: 'run JOB and everything it needs in one CI job instead of one CI job each'},
  cache: {type: 'string', options: CACHE_CARRIERS, default: 'ci', description: "how results reach the CI jobs after: the CI's own cache and artifacts, or orca's remote cache (cache.remote)"},
  secret: {type: 'string', multiple: true, helpValue: 'NAME', description: "a CI secret or variable orca reads from its environment besides the jobs' secrets (remote cache credentials, ORCA_CACHE_SIGNING_KEY)"},
  install: {type: 'string', helpValue: 'COMMAND', description: 'how each CI job installs orca (default: npm install -g of this version)'},
  orca: {type: 'string', default: 'orca', helpValue: 'COMMAND', description: 'how each CI job calls orca once installed, e.g. "npx orca" after --install "npm ci"'},
  force: {type: 'boolean', description: 'overwrite a file orca ci did not write'},
} as const satisfies FlagTable

export const ciGitlabFlags = {
  ...ciGithubFlags,
  runner: {type: 'string', options: GITLAB_RUNNERS, default: 'docker', description: 'docker: jobs in node images beside a Docker-in-Docker service; shell: a shell runner whose host has Docker and Node.js'},
} as const satisfies FlagTable
