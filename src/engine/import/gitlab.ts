import type {NodePath} from '../pipeline/yaml-source.js'
import {newJob, type OutJob, type OutPipeline} from './emit.js'
import {composeGitlab, GITLAB_GLOBAL_KEYS, type LocalReader} from './gitlab-compose.js'
import {allOf, anyOf, negate, translateGitlabExpression} from './gitlab-expression.js'
import {artifactGlobs, gitlabDuration, JobNames, orcaName, volumeName} from './names.js'
import type {ImportEntry, ImportStatus} from './report.js'
import {commentAbove, commentBeside, placeOf, type CiFile} from './source.js'
import {expandKnown, looksLikeSetting, variablesRead, variablesSet} from './variables.js'

type Data = Record<string, unknown>
const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v)
const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])
const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))

/** GitLab.com's hosted Linux runners use this image when a job names none. */
export const GITLAB_DEFAULT_IMAGE = 'ruby:3.1'
const WORKDIR = '/workspace'
const DEFAULT_STAGES = ['build', 'test', 'deploy']
/** The variable the imported file reads to run GitLab's manual jobs: `orca run -e RUN_MANUAL_JOBS=true`. */
export const MANUAL_VARIABLE = 'RUN_MANUAL_JOBS'

/** Predefined variables orca can give the same value. */
const MAPPED_PREDEFINED: Record<string, (job: {name: string; stage: string}) => string> = {
  CI: () => 'true',
  CI_PROJECT_DIR: () => WORKDIR,
  CI_BUILDS_DIR: () => '/',
  CI_JOB_NAME: (job) => job.name,
  CI_JOB_NAME_SLUG: (job) => orcaName(job.name),
  CI_JOB_STAGE: (job) => job.stage,
}
const isPredefined = (name: string): boolean => name === 'CI' || name.startsWith('CI_') || name.startsWith('GITLAB_')
const PROJECT_DIR = /^(?:\$CI_PROJECT_DIR|\$\{CI_PROJECT_DIR\})\/?/

/** Ports of well-known service images, which GitLab waits for: orca's readiness check. */
const SERVICE_PORTS: Record<string, number> = {postgres: 5432, postgis: 5432, mysql: 3306, mariadb: 3306, redis: 6379, mongo: 27017, rabbitmq: 5672, memcached: 11211, elasticsearch: 9200, opensearch: 9200, minio: 9000, nats: 4222, cassandra: 9042, 'mcr.microsoft.com/mssql/server': 1433, clickhouse: 8123}

/** Job keys handled below; anything else is reported as not understood. */
const HANDLED = new Set(['stage', 'image', 'services', 'script', 'before_script', 'after_script', 'variables', 'needs', 'dependencies', 'when', 'rules', 'only', 'except', 'allow_failure', 'timeout', 'retry', 'parallel', 'artifacts', 'cache', 'environment', 'tags', 'interruptible', 'resource_group', 'coverage', 'release', 'trigger', 'inherit', 'start_in', 'secrets', 'id_tokens', 'hooks', 'pages', 'identity', 'manual_confirmation', 'dast_configuration', 'extends'])

const NOT_NEEDED: Record<string, [ImportStatus, string]> = {
  interruptible: ['approximated', 'orca stops a whole run when it is cancelled'],
  resource_group: ['approximated', 'orca does not serialise jobs across runs; run them one at a time yourself'],
  coverage: ['dropped', "GitLab's coverage figure read from the log has no orca equivalent"],
  release: ['dropped', 'a GitLab release is made by GitLab, not in the job'],
  secrets: ['dropped', "external secrets (Vault, cloud managers) are GitLab's; give them to orca as variables and list them under secrets:"],
  id_tokens: ['dropped', "GitLab's OIDC tokens exist only in GitLab CI"],
  hooks: ['dropped', 'runner hooks have no orca equivalent'],
  identity: ['dropped', "GitLab's cloud identity exists only in GitLab CI"],
  manual_confirmation: ['approximated', 'no prompt: a manual job runs when RUN_MANUAL_JOBS is true'],
  dast_configuration: ['dropped', "GitLab's DAST settings have no orca equivalent"],
  pages: ['approximated', 'GitLab Pages publishes the artifacts; orca keeps them in the run directory'],
  start_in: ['approximated', 'a delayed job runs without the delay'],
}

export interface GitlabImportOptions {
  /** Image of jobs that name none (GitLab uses the runner's default). */
  defaultImage?: string
  /** Does the project hold this path (for `rules: exists:`)? */
  exists: (path: string) => boolean
}

/** Translates a GitLab CI file (and its local includes) into orca's pipeline and report entries. */
export function importGitlab(main: CiFile, readLocal: LocalReader, options: GitlabImportOptions, entries: ImportEntry[]): {pipeline: OutPipeline; files: CiFile[]} {
  const composed = composeGitlab(main, readLocal, entries)
  const {data, origin} = composed
  const fileOf = (key: string): CiFile => origin.get(key) ?? main
  const report = (key: string, path: NodePath, construct: string, status: ImportStatus, note: string, job?: string): void => {
    entries.push({construct, ...placeOf(fileOf(key), path), ...(job === undefined ? {} : {job}), status, note})
  }
  const defaults: Data = isObject(data.default) ? {...data.default} : {}
  for (const key of ['image', 'services', 'before_script', 'after_script', 'cache']) {
    if (data[key] !== undefined && defaults[key] === undefined) {
      defaults[key] = data[key]
      report(key, [key], key, 'translated', 'a top-level default of every job, as default: is')
    }
  }
  const globals = variableValues(data.variables)
  if (data.workflow !== undefined) report('workflow', ['workflow'], 'workflow', 'approximated', 'decides whether GitLab starts a pipeline at all (trigger-only); orca runs when you run it')
  if (data.spec !== undefined) report('spec', ['spec'], 'spec: inputs', 'dropped', "a component's inputs exist only in GitLab")

  const stageList = asList(data.stages ?? data.types).map(text)
  const stages = ['.pre', ...(stageList.length > 0 ? stageList : DEFAULT_STAGES), '.post']
  if (data.stages !== undefined) report('stages', ['stages'], 'stages', 'translated', "each job needs every job of the stages before its own, as GitLab's stages order them")

  const names = new JobNames()
  const jobKeys: string[] = []
  for (const [key, value] of Object.entries(data)) {
    if (GITLAB_GLOBAL_KEYS.has(key) || key.startsWith('.') || !isObject(value)) continue
    if (value.trigger !== undefined) {
      report(key, [key, 'trigger'], 'trigger', 'dropped', 'starts another pipeline in GitLab (a trigger-only job): import that pipeline on its own', key)
      continue
    }
    if (value.when === 'never') {
      report(key, [key, 'when'], 'when: never', 'dropped', 'the job never runs in GitLab', key)
      continue
    }
    jobKeys.push(key)
    names.add(key)
  }
  const stageOf = (key: string): string => text((data[key] as Data).stage ?? (stages.includes('test') ? 'test' : stages[1]))
  for (const key of jobKeys) {
    const stage = stageOf(key)
    if (!stages.includes(stage)) report(key, [key, 'stage'], `stage: ${stage}`, 'approximated', 'not in stages: the job is put with the last stage', key)
  }
  const stageIndex = (key: string): number => {
    const index = stages.indexOf(stageOf(key))
    return index === -1 ? stages.length - 2 : index
  }

  const jobs = new Map<string, OutJob>()
  const topEnv: Data = {}
  for (const [name, value] of Object.entries(globals)) topEnv[name] = expandKnown(value, (n) => (n in globals && n !== name ? globals[n] : MAPPED_PREDEFINED[n]?.({name: '', stage: ''})))
  if (Object.keys(globals).length > 0) report('variables', ['variables'], 'variables', 'translated', 'env of every job')
  for (const [n, v] of Object.entries(topEnv)) {
    const left = variablesRead(String(v))
    if (left.length > 0) report('variables', ['variables', n], `variables: ${n}`, 'approximated', `reads ${left.map((l) => `$${l}`).join(', ')}, unknown when importing: orca's env values are text, so jobs see it as written`)
  }

  for (const key of jobKeys) {
    const raw = data[key] as Data
    const name = names.get(key)!
    const ci = fileOf(key)
    const out = newJob()
    const job = out.data
    const note = (path: NodePath, construct: string, status: ImportStatus, why: string): void => report(key, [key, ...path], construct, status, why, name)
    const comment = commentAbove(ci, [key])
    if (comment) out.comments.push(...comment.split('\n').map((line) => line.replace(/^ /, '')))
    if (name !== key) job.name = key
    const inherit = isObject(raw.inherit) ? raw.inherit : {}
    const inherited = (k: string): unknown => {
      const allowed = inherit.default
      if (allowed === false || (Array.isArray(allowed) && !allowed.includes(k))) return undefined
      return defaults[k]
    }
    const field = (k: string): unknown => raw[k] ?? inherited(k)
    const stage = stageOf(key)
    const jobVariables = variableValues(raw.variables)
    const inheritsGlobals = !(inherit.variables === false)
    if (Array.isArray(inherit.variables) || inherit.variables === false) note(['inherit'], 'inherit: variables', 'approximated', 'the top-level variables still reach the job (orca has no per-job opt-out)')
    const known = (n: string): string | undefined => jobVariables[n] ?? (inheritsGlobals ? globals[n] : undefined) ?? MAPPED_PREDEFINED[n]?.({name: key, stage})

    // parallel: matrix / parallel: N
    const matrixVariables = new Set<string>()
    const parallel = raw.parallel
    if (typeof parallel === 'number' && parallel > 1) {
      job.matrix = {CI_NODE_INDEX: Array.from({length: parallel}, (_, i) => i + 1)}
      job.id = `${name}-\${{ matrix.CI_NODE_INDEX }}`
      jobVariables.CI_NODE_INDEX = '${{ matrix.CI_NODE_INDEX }}'
      jobVariables.CI_NODE_TOTAL = String(parallel)
      note(['parallel'], `parallel: ${parallel}`, 'translated', 'a matrix over CI_NODE_INDEX, with CI_NODE_TOTAL set')
    } else if (isObject(parallel) && Array.isArray(parallel.matrix)) {
      const include: Data[] = []
      for (const entry of parallel.matrix) {
        if (!isObject(entry)) continue
        let combos: Data[] = [{}]
        for (const [variable, values] of Object.entries(entry)) {
          matrixVariables.add(variable)
          combos = combos.flatMap((c) => asList(values).map((v) => ({...c, [variable]: text(v)})))
        }
        include.push(...combos)
      }
      job.matrix = {include}
      for (const variable of matrixVariables) jobVariables[variable] = `\${{ matrix.${variable} }}`
      note(['parallel', 'matrix'], 'parallel: matrix', 'translated', `a matrix of ${include.length} combinations; each variable is in the job's env`)
    }
    const matrixRef = (value: string): string => value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, n: string) => (matrixVariables.has(n) ? `\${{ matrix.${n} }}` : whole))

    // image
    const image = field('image')
    const imageName = isObject(image) ? text(image.name) : text(image)
    if (imageName === '') {
      job.image = options.defaultImage ?? GITLAB_DEFAULT_IMAGE
      note([], 'image (none)', 'approximated', `GitLab uses the runner's default image; the job gets ${String(job.image)} (orca import --image chooses another)`)
    } else {
      const expanded = matrixRef(expandKnown(imageName, (n) => (matrixVariables.has(n) ? undefined : known(n))))
      if (/\$[A-Za-z_{]/.test(expanded.replace(/\$\{\{ matrix\.[^}]+\}\}/g, ''))) {
        job.image = options.defaultImage ?? GITLAB_DEFAULT_IMAGE
        note(['image'], `image: ${imageName}`, 'dropped', `reads a variable orca cannot know when importing; the job gets ${String(job.image)}`)
      } else {
        job.image = expanded
      }
      if (isObject(image) && image.entrypoint !== undefined) note(['image', 'entrypoint'], 'image: entrypoint', 'translated', "orca runs the steps with the image's shell, whatever its entrypoint")
      if (isObject(image) && isObject(image.docker) && image.docker.user !== undefined) job.user = text(image.docker.user)
      if (isObject(image) && isObject(image.docker) && typeof image.docker.platform === 'string') {
        job.platform = image.docker.platform
        note(['image', 'docker', 'platform'], 'image: docker: platform', 'translated', `platform: ${image.docker.platform}`)
      }
      const policies = asList(isObject(image) ? image.pull_policy : undefined).map(text)
      const pull = policies.length === 0 ? undefined : ({always: 'always', 'if-not-present': 'missing', never: 'never'} as Record<string, string>)[policies[0]!]
      if (pull !== undefined) {
        job.pull = pull
        note(['image', 'pull_policy'], 'image: pull_policy', policies.length > 1 ? 'approximated' : 'translated', `pull: ${pull}${policies.length > 1 ? ' (the first of the policies GitLab would try in turn)' : ''}`)
      }
    }

    // needs: explicit (a DAG), else every job of the earlier stages.
    const needs: Array<string | Data> = []
    if (Array.isArray(raw.needs)) {
      raw.needs.forEach((need, index) => {
        const spec: Data = isObject(need) ? need : {job: need}
        if (spec.pipeline !== undefined || spec.project !== undefined) return note(['needs', index], 'needs: pipeline/project', 'dropped', "another pipeline's or project's artifacts exist only in GitLab")
        const target = names.get(text(spec.job))
        if (target === undefined) {
          if (spec.optional !== true) note(['needs', index], `needs: ${text(spec.job)}`, 'dropped', 'no such job in the imported pipeline')
          return
        }
        if (spec.parallel !== undefined) note(['needs', index, 'parallel'], 'needs: parallel: matrix', 'approximated', 'the job waits for every expansion, not only those listed')
        needs.push(spec.artifacts === false ? {job: target, artifacts: false} : target)
      })
      if (raw.needs.length > 0) note(['needs'], 'needs', 'translated', 'needs (the job starts when they are done, whatever the stages)')
    } else {
      const mine = stageIndex(key)
      for (const other of jobKeys) if (stageIndex(other) < mine) needs.push(names.get(other)!)
    }
    if (Array.isArray(raw.dependencies)) {
      const wanted = new Set(raw.dependencies.map((d) => names.get(text(d))))
      for (let i = 0; i < needs.length; i++) {
        const need = needs[i]!
        if (typeof need === 'string' && !wanted.has(need)) needs[i] = {job: need, artifacts: false}
      }
      note(['dependencies'], 'dependencies', 'translated', 'needs without the artifacts of the jobs it does not list')
    }
    if (needs.length > 0) job.needs = needs

    // when / rules / only / except
    conditions(raw, job, needs.length > 0, options, (path, construct, status, why) => note(path, construct, status, why))

    // services
    const services = asList(field('services'))
    if (services.length > 0) {
      const serviceEnv: Data = {...(inheritsGlobals ? topEnv : {})}
      for (const [n, v] of Object.entries(jobVariables)) serviceEnv[n] = expandKnown(v, (m) => (m === n ? undefined : known(m)))
      const out: Data = {}
      services.forEach((service, index) => {
        const spec = isObject(service) ? service : {name: service}
        const imageRef = matrixRef(expandKnown(text(spec.name), known))
        if (/^docker:.*dind/.test(imageRef) || /(^|\/)docker:[^/]*dind/.test(imageRef)) {
          job.docker = true
          note(['services', index], `services: ${imageRef}`, 'approximated', "Docker-in-Docker: the job gets the host's engine instead (docker: true), a loud escape hatch")
          return
        }
        const path = imageRef.replace(/[:@].*$/, '')
        const aliases = text(spec.alias).split(/[\s,]+/).filter(Boolean).map((a) => orcaName(a, 'service'))
        const serviceName = aliases[0] ?? orcaName(path.split('/').pop() ?? 'service', 'service')
        const value: Data = {image: imageRef}
        const env = {...serviceEnv, ...variableValues(spec.variables)}
        for (const k of Object.keys(env)) if (String(env[k]).includes('${{')) delete env[k]
        if (Object.keys(env).length > 0) value.env = env
        if (spec.command !== undefined) value.command = asList(spec.command).map(text)
        if (spec.entrypoint !== undefined) value.entrypoint = asList(spec.entrypoint).map(text)
        const hostName = path.replaceAll('/', '-')
        const extra = [...aliases.slice(1), ...(hostName !== serviceName && /^[a-z0-9.-]+$/.test(hostName) ? [hostName] : [])]
        if (extra.length > 0) value.aliases = extra
        const port = SERVICE_PORTS[path] ?? SERVICE_PORTS[path.split('/').pop() ?? '']
        // GitLab goes on with a warning when a service is slow; orca fails the job, so it waits longer than GitLab's 30 s.
        if (port !== undefined) value.ready = {tcp: port, timeout: '2m'}
        out[serviceName] = value
        note(['services', index], `services: ${imageRef}`, port === undefined ? 'approximated' : 'translated', port === undefined ? `service ${serviceName}; GitLab waits for its exposed ports, orca cannot know them: add ready: to wait` : `service ${serviceName}, ready when port ${port} listens (GitLab waits the same way); it gets the job's variables, as in GitLab`)
      })
      if (Object.keys(out).length > 0) job.services = out
    }

    // script: before_script and script share one shell, as in GitLab; after_script runs after, whatever happened.
    const lines = (k: string, value: unknown): string[] =>
      flatten(value, (entry) => note([k], `${k}: ${JSON.stringify(entry)}`, 'dropped', 'YAML reads this line as a mapping (a ": " inside it), which GitLab refuses too: quote the line'))
    const before = lines('before_script', field('before_script'))
    const script = lines('script', raw.script)
    const after = lines('after_script', field('after_script'))
    if (script.length === 0) note(['script'], 'script', 'dropped', 'the job has no script')
    // Where each part's lines are written, for their comments: the job's own, default:'s or the top level's.
    const writtenAt = (k: string): [CiFile, NodePath] | undefined => {
      if ((ci.data[key] as Data | undefined)?.[k] !== undefined) return raw[k] === undefined ? undefined : [ci, [key, k]]
      if (raw[k] !== undefined) return undefined
      const top = isObject(data.default) && data.default[k] !== undefined ? ['default', k] : [k]
      return [fileOf(top[0]!), top]
    }
    const scriptLines = [...withComments(before, writtenAt('before_script')), ...withComments(script, writtenAt('script'))]
    const afterLines = withComments(after, writtenAt('after_script'))
    const steps: unknown[] = []
    // busybox's and Alpine's sh (ash) reads most of it, and those images have no bash: GitLab runs sh there too.
    const bash = BASHISM.test([...scriptLines, ...afterLines].join('\n')) && !/alpine|busybox/.test(text(job.image))
    if (bash) note(['script'], 'bash in the script', 'translated', 'shell: bash (GitLab runs bash when the image has it; the script needs it)')
    if (scriptLines.length > 0) {
      const run = scriptLines.join('\n')
      steps.push(raw.allow_failure === undefined || raw.allow_failure === false ? run : {run, allow_failure: true})
    }
    if (raw.allow_failure !== undefined && raw.allow_failure !== false) {
      note(['allow_failure'], 'allow_failure', 'approximated', isObject(raw.allow_failure) ? 'any failing exit code is allowed, not only the listed ones; the job succeeds' : 'the script step may fail: the job succeeds (GitLab shows it passed with a warning)')
    }
    if (after.length > 0) {
      steps.push({name: 'after_script', run: afterLines.join('\n'), when: 'always', allow_failure: true})
      note(raw.after_script === undefined ? [] : ['after_script'], 'after_script', 'translated', 'a last step with when: always whose failure does not fail the job, as in GitLab')
    }
    if (steps.length > 0) job.steps = steps
    if (bash && steps.length > 0) job.shell = 'bash'
    if (before.length > 0) note(raw.before_script === undefined ? [] : ['before_script'], 'before_script', 'translated', 'the first lines of the script step, in the same shell, as in GitLab')

    const allText = [...before, ...script, ...after].join('\n')
    // A job that runs git gets the repository, as GitLab's clone gives it.
    if (/(^|[\s;&|(])git\s/.test(allText)) {
      const depth = Number(known('GIT_DEPTH') ?? NaN)
      job.git = Number.isInteger(depth) && depth > 0 ? {depth} : true
      note(['script'], 'git in the script', 'translated', `the job gets the repository (git: ${Number.isInteger(depth) && depth > 0 ? `{depth: ${depth}}` : 'true'}), as GitLab's clone gives it`)
    }

    // variables: the job's own over the top-level ones; predefined ones mapped or passed through.
    const env: Data = {}
    for (const [n, v] of Object.entries(jobVariables)) env[n] = v.includes('${{') ? v : expandKnown(v, (m) => (m === n ? undefined : known(m)))
    if (Object.keys(raw.variables ?? {}).length > 0) note(['variables'], 'variables', 'translated', 'env of the job')
    for (const [n, v] of Object.entries(env)) {
      const left = variablesRead(String(v).replace(/\$\{\{[^}]*\}\}/g, ''))
      if (left.length > 0) note(['variables', n], `variables: ${n}`, 'approximated', `reads ${left.map((l) => `$${l}`).join(', ')}, unknown when importing: orca's env values are text, so the job sees it as written`)
    }
    const read = new Set([...variablesRead(allText), ...variablesRead(Object.values(env).join('\n')), ...variablesRead(text(job.image))])
    const set = variablesSet(allText)
    const passEnv: string[] = []
    const secrets: Data[] = []
    for (const variable of read) {
      if (env[variable] !== undefined || set.has(variable)) continue
      if (globals[variable] !== undefined) continue
      const mapped = MAPPED_PREDEFINED[variable]
      if (mapped) {
        env[variable] = mapped({name: key, stage})
        note([], `$${variable}`, 'translated', `set to ${String(env[variable])}`)
      } else if (isPredefined(variable)) {
        passEnv.push(variable)
        note([], `$${variable}`, 'approximated', 'a GitLab predefined variable: passed through from where orca runs (pass_env; set in GitLab CI, else empty: orca run -e sets it)')
      } else if (looksLikeSetting(variable)) {
        secrets.push({name: variable, required: false})
        note([], `$${variable}`, 'approximated', "not defined in the file: a CI/CD variable of the project? Passed from orca's environment as an optional secret (masked)")
      }
    }
    for (const variable of (typeof job.if === 'string' ? job.if : '').match(/env\.([A-Za-z_][A-Za-z0-9_]*)/g)?.map((m) => m.slice(4)) ?? []) {
      if (isPredefined(variable) && !passEnv.includes(variable) && env[variable] === undefined && variable !== MANUAL_VARIABLE) passEnv.push(variable)
    }
    if (Object.keys(env).length > 0) job.env = env
    if (passEnv.length > 0) job.pass_env = passEnv.sort()
    if (secrets.length > 0) job.secrets = secrets

    // timeout, retry
    if (field('timeout') !== undefined) {
      const timeout = gitlabDuration(field('timeout'))
      if (timeout) {
        job.timeout = timeout
        note(['timeout'], 'timeout', 'translated', `timeout: ${timeout}`)
      } else note(['timeout'], 'timeout', 'dropped', `cannot read ${JSON.stringify(field('timeout'))} as a duration`)
    }
    const retry = field('retry')
    if (typeof retry === 'number' && retry > 0) {
      job.retry = retry
      note(['retry'], 'retry', 'translated', `retry: ${retry}`)
    }
    else if (isObject(retry) && typeof retry.max === 'number') {
      job.retry = retry.max
      if (retry.when !== undefined) note(['retry', 'when'], 'retry: when', 'approximated', 'retried whatever the failure (orca tells only infra, failure and timed_out apart)')
    }

    // cache: named volumes kept across runs, mounted where the paths are.
    const caches = asList(field('cache'))
    const volumes: Data = {}
    caches.forEach((cache, index) => {
      if (!isObject(cache)) return
      for (const p of asList(cache.paths).map(text)) {
        const relative = p.replace(PROJECT_DIR, '').replace(/^\.\//, '').replace(/\/+$/, '')
        const where = raw.cache === undefined ? ['cache'] : Array.isArray(raw.cache) ? ['cache', index] : ['cache']
        if (relative === '' || /[*?]/.test(relative) || relative.startsWith('..')) {
          note(where, `cache: ${p}`, 'dropped', 'a cache path that is not one folder of the project cannot be a volume')
          continue
        }
        if (/(^|\/)node_modules$/.test(relative)) {
          note(where, `cache: ${p}`, 'approximated', 'not a volume: npm ci removes node_modules, which a mounted volume cannot be; cache the package manager\'s folder (.npm) instead')
          continue
        }
        volumes[volumeName('cache', relative)] = relative.startsWith('/') ? relative : `${WORKDIR}/${relative}`
        note(where, `cache: ${p}`, 'approximated', `a named volume kept across runs (${volumeName('cache', relative)}); GitLab's key: and policy: do not apply`)
      }
    })
    if (Object.keys(volumes).length > 0) job.volumes = volumes

    // artifacts and reports
    const artifacts = field('artifacts')
    if (isObject(artifacts)) artifactsOf(artifacts, job, (path, construct, status, why) => note(['artifacts', ...path], construct, status, why))

    if (raw.environment !== undefined) {
      const envName = isObject(raw.environment) ? text(raw.environment.name) : text(raw.environment)
      note(['environment'], `environment: ${envName}`, 'approximated', 'a deploy job: orca runs its steps but keeps no environment or deployment record')
      out.comments.push(`GitLab deploys this job to the environment ${envName}.`)
    }
    const tags = asList(field('tags')).map(text)
    if (tags.length > 0) {
      if (tags.some((t) => /windows|macos|osx|darwin|shell/i.test(t))) {
        job['runs-on'] = 'host'
        delete job.image
        delete job.services
        delete job.volumes
        delete job.git
        delete job.user
        note(['tags'], `tags: ${tags.join(', ')}`, 'approximated', 'a runner that is not a Linux container: the steps run on this machine (runs-on: host), never cached without host.key')
      } else note(['tags'], `tags: ${tags.join(', ')}`, 'approximated', 'runner tags choose a GitLab runner; orca runs the job in a container here')
    }
    for (const [k, [status, why]] of Object.entries(NOT_NEEDED)) if (field(k) !== undefined) note([k], k, status, why)
    for (const k of Object.keys(raw)) if (!HANDLED.has(k)) note([k], k, 'dropped', 'not a GitLab job keyword orca knows')
    jobs.set(name, out)
  }

  const top: Data = {}
  const defaultImage = isObject(defaults.image) ? text(defaults.image.name) : text(defaults.image)
  if (defaultImage !== '' && !/\$/.test(defaultImage)) {
    top.image = defaultImage
    for (const out of jobs.values()) if (out.data.image === defaultImage) delete out.data.image
  }
  if (Object.keys(topEnv).length > 0) top.env = topEnv
  const header = [`Imported from ${main.file} by \`orca import gitlab\`.`, 'Check the report it printed for what did not come over as it was.']
  // The comment above the first key, when that is not a job, speaks of the whole file.
  const firstKey = Object.keys(main.data)[0]
  const topComment = firstKey !== undefined && (GITLAB_GLOBAL_KEYS.has(firstKey) || firstKey.startsWith('.')) ? commentAbove(main, [firstKey]) : undefined
  if (topComment) header.push('', ...topComment.split('\n').map((l) => l.replace(/^ /, '')))
  return {pipeline: {header, top, jobs}, files: composed.files}
}

/** A script's lines, nested lists (from !reference) flattened; an entry YAML read as a mapping is reported, not run. */
function flatten(value: unknown, onMapping: (entry: Data) => void): string[] {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value.flatMap((item) => flatten(item, onMapping))
  if (isObject(value)) {
    onMapping(value)
    return []
  }
  return [text(value)]
}

/** What only bash reads; GitLab runs bash when the image has it, orca sh unless told. */
const BASHISM = /\[\[ |\bpipefail\b|(^|[\s;&|])(source|shopt|declare|function) |\b[A-Za-z_]\w*=\(|<<<|\$'|\$\{[A-Za-z_]\w*\/\/|\$\{[A-Za-z_]\w*:[0-9-]/m

/**
 * Script lines with their YAML comments as shell comments: a comment above a line goes above it,
 * one beside it stays beside it. Only where the lines are written as they stand (no !reference).
 */
function withComments(lines: string[], at: [CiFile, NodePath] | undefined): string[] {
  if (!at) return lines
  const [ci, path] = at
  let written: unknown = ci.data
  for (const part of path) written = isObject(written) ? written[String(part)] : undefined
  const list = isObject(written) || written === undefined ? undefined : (Array.isArray(written) ? written : [written])
  if (!list || list.length !== lines.length || list.some((l) => typeof l !== 'string')) return lines
  return lines.map((line, index) => {
    const itemPath = Array.isArray(written) ? [...path, index] : path
    const above = Array.isArray(written) ? commentAbove(ci, itemPath) : undefined
    const beside = line.includes('\n') ? undefined : commentBeside(ci, itemPath)
    const shown = beside ? `${line}  #${beside.startsWith(' ') ? '' : ' '}${beside}` : line
    return above ? `${above.split('\n').map((l) => `#${l.startsWith(' ') ? '' : ' '}${l}`).join('\n')}\n${shown}` : shown
  })
}

/** A GitLab `variables:` block's values (`{value, description}` forms included) as text. */
function variableValues(value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isObject(value)) return out
  for (const [name, v] of Object.entries(value)) out[name] = isObject(v) ? text(v.value) : text(v)
  return out
}

type Note = (path: NodePath, construct: string, status: ImportStatus, why: string) => void

/** when:, rules: and only/except: as orca's when and if. */
function conditions(raw: Data, job: Data, hasNeeds: boolean, options: GitlabImportOptions, note: Note): void {
  let when = text(raw.when || 'on_success')
  const parts: string[] = []
  if (Array.isArray(raw.rules)) {
    const rules: Array<{condition: string; when: string}> = []
    const whens = new Set<string>()
    raw.rules.forEach((rule, index) => {
      if (!isObject(rule)) return
      let condition = 'true'
      if (rule.if !== undefined) {
        const translated = translateGitlabExpression(text(rule.if))
        if (translated === undefined) {
          note(['rules', index, 'if'], `rules: if: ${text(rule.if)}`, 'dropped', 'not an expression orca can read; taken as false')
          condition = 'false'
        } else {
          condition = translated.expression
          for (const n of translated.notes) note(['rules', index, 'if'], `rules: if: ${text(rule.if)}`, 'approximated', n)
        }
      }
      if (rule.exists !== undefined) {
        const paths = asList(isObject(rule.exists) ? rule.exists.paths : rule.exists).map(text)
        const plain = paths.every((p) => !/[*?[{]/.test(p))
        condition = allOf([condition, plain ? String(paths.some((p) => options.exists(p))) : 'true'])
        note(['rules', index, 'exists'], 'rules: exists', plain ? 'translated' : 'approximated', plain ? 'checked against the project when importing' : 'a glob: taken as present')
      }
      if (rule.changes !== undefined) {
        note(['rules', index, 'changes'], 'rules: changes', 'approximated', "taken as changed; orca's cache reruns a job only when its inputs change")
      }
      if (rule.variables !== undefined) note(['rules', index, 'variables'], 'rules: variables', 'dropped', 'variables set by a rule are not applied')
      if (rule.allow_failure !== undefined) note(['rules', index, 'allow_failure'], 'rules: allow_failure', 'dropped', 'allow_failure set by a rule is not applied')
      const ruleWhen = text(rule.when || when)
      if (ruleWhen !== 'never') whens.add(ruleWhen)
      // A rule that never matches changes nothing.
      if (condition !== 'false') rules.push({condition, when: ruleWhen})
    })
    parts.push(firstMatch(rules))
    const real = [...whens].filter((w) => w !== 'manual')
    if (real.length > 0) when = real[0]!
    else if (whens.size > 0) when = 'on_success'
    if (real.length > 1) note(['rules'], 'rules: when', 'approximated', `rules choose between ${real.join(' and ')}; the job uses ${when}`)
    note(['rules'], 'rules', 'translated', 'if: (the first rule that matches decides, as in GitLab; CI variables are read from the environment)')
  }
  for (const [k, negative] of [['only', false], ['except', true]] as const) {
    const spec = raw[k]
    if (spec === undefined) continue
    const refs = asList(isObject(spec) ? spec.refs : spec).map(text)
    const variables = isObject(spec) ? asList(spec.variables).map(text) : []
    const refParts = refs.map((ref) => {
      const condition = refCondition(ref)
      if (condition === 'false') note([k], `${k}: ${ref}`, 'approximated', "a regular expression orca's if cannot say: taken as not matching")
      return condition
    })
    const variableParts = variables.map((v) => translateGitlabExpression(v)?.expression ?? 'false')
    const condition = allOf([refs.length > 0 ? anyOf(refParts) : 'true', variables.length > 0 ? anyOf(variableParts) : 'true'])
    parts.push(negative ? negate(condition) : condition)
    note([k], k, 'approximated', `if: on the CI variables (CI_COMMIT_REF_NAME, CI_COMMIT_TAG, CI_PIPELINE_SOURCE) read from the environment${isObject(spec) && (spec.changes !== undefined || spec.kubernetes !== undefined) ? '; changes/kubernetes are not checked' : ''}`)
  }
  if (when === 'manual') {
    parts.push(`env.${MANUAL_VARIABLE} == 'true'`)
    when = 'on_success'
    note(['when'], 'when: manual', 'approximated', `a manual job runs only with orca run -e ${MANUAL_VARIABLE}=true`)
  } else if (when === 'delayed') {
    when = 'on_success'
    note(['when'], 'when: delayed', 'approximated', 'runs without the delay')
  } else if (raw.when !== undefined && ['on_success', 'on_failure', 'always'].includes(when)) {
    note(['when'], `when: ${when}`, 'translated', `when: ${when}`)
  }
  if (when === 'on_failure' && !hasNeeds) {
    parts.push('false')
    when = 'on_success'
    note(['when'], 'when: on_failure', 'approximated', 'no job runs before it, so it never runs (if: false)')
  }
  if (when !== 'on_success') job.when = when
  const condition = allOf(parts)
  if (condition !== 'true') job.if = condition === 'false' ? false : condition
}

/** The condition under which GitLab's first matching rule lets the job run (manual ones only with RUN_MANUAL_JOBS). */
function firstMatch(rules: Array<{condition: string; when: string}>): string {
  const gated = (rule: {condition: string; when: string}): string => (rule.when === 'manual' ? allOf([rule.condition, `env.${MANUAL_VARIABLE} == 'true'`]) : rule.condition)
  // Without a never rule, which rule matches first does not matter: any of them runs the job.
  if (rules.every((rule) => rule.when !== 'never')) return anyOf(rules.map(gated))
  const running: string[] = []
  const before: string[] = []
  for (const rule of rules) {
    if (rule.when !== 'never') running.push(allOf([...before.map(negate), gated(rule)]))
    before.push(rule.condition)
  }
  return anyOf(running)
}

function refCondition(ref: string): string {
  const sources: Record<string, string> = {merge_requests: 'merge_request_event', schedules: 'schedule', pipelines: 'pipeline', triggers: 'trigger', web: 'web', api: 'api', pushes: 'push', external: 'external', external_pull_requests: 'external_pull_request_event', chat: 'chat'}
  if (ref === 'branches') return "env.CI_COMMIT_BRANCH != ''"
  if (ref === 'tags') return "env.CI_COMMIT_TAG != ''"
  if (sources[ref]) return `env.CI_PIPELINE_SOURCE == '${sources[ref]}'`
  if (ref.startsWith('/')) return translateGitlabExpression(`$CI_COMMIT_REF_NAME =~ ${ref}`)?.expression ?? 'false'
  return `env.CI_COMMIT_REF_NAME == '${ref.replaceAll("'", "''")}'`
}

/** `artifacts:` (paths, when, reports, expire_in…) as orca's artifacts and reports. */
function artifactsOf(artifacts: Data, job: Data, note: Note): void {
  const paths = asList(artifacts.paths).map(text).flatMap((p) => artifactGlobs(p, PROJECT_DIR))
  const reports = isObject(artifacts.reports) ? artifacts.reports : {}
  const junit = asList(reports.junit).map(text).flatMap((p) => artifactGlobs(p, PROJECT_DIR).slice(0, 1))
  if (junit.length > 0) {
    job.reports = {junit}
    note(['reports', 'junit'], 'artifacts: reports: junit', 'translated', 'reports: junit')
  }
  for (const [kind, value] of Object.entries(reports)) {
    if (kind === 'junit') continue
    const files = asList(isObject(value) ? value.path : value).map(text)
    if (kind === 'dotenv') {
      note(['reports', kind], `artifacts: reports: ${kind}`, 'dropped', 'the variables of a dotenv report do not reach later jobs: write them to $ORCA_OUTPUT and list them under outputs:')
      continue
    }
    paths.push(...files.flatMap((f) => artifactGlobs(f, PROJECT_DIR).slice(0, 1)))
    note(['reports', kind], `artifacts: reports: ${kind}`, 'approximated', `kept as an artifact; orca has no ${kind} view`)
  }
  const when = text(artifacts.when || 'on_success')
  if (paths.length > 0) job.artifacts = when === 'on_success' ? [...new Set(paths)] : {paths: [...new Set(paths)], when}
  if (artifacts.paths !== undefined) note(['paths'], 'artifacts: paths', 'translated', `artifacts${when === 'on_success' ? '' : ` (when: ${when})`}, handed to the jobs that need it`)
  if (artifacts.exclude !== undefined) note(['exclude'], 'artifacts: exclude', 'dropped', 'orca collects every file the paths match')
  if (artifacts.untracked === true) note(['untracked'], 'artifacts: untracked', 'dropped', 'list the paths of the files to keep')
  for (const k of ['expire_in', 'name', 'expose_as', 'public', 'access']) {
    if (artifacts[k] !== undefined) note([k], `artifacts: ${k}`, 'approximated', "GitLab's download settings; orca keeps runs until orca clean --runs")
  }
}
