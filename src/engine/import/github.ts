import type {NodePath} from '../pipeline/yaml-source.js'
import {newJob, type OutJob, type OutPipeline} from './emit.js'
import {statusOnly, translateGithubIf} from './github-expression.js'
import {githubAction, type ActionContext} from './github-actions.js'
import {JobNames, orcaName} from './names.js'
import type {ImportEntry, ImportStatus} from './report.js'
import {commentAbove, commentBeside, placeOf, type CiFile} from './source.js'

type Data = Record<string, unknown>
const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v)
const asList = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])
const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))

/** The image of a job on GitHub's Ubuntu runner that names no container and sets up no language: Ubuntu with git, curl and compilers. */
export const GITHUB_DEFAULT_IMAGE = 'buildpack-deps:noble'
const WORKDIR = '/workspace'
/** Where the files GitHub's runner gives each step ($GITHUB_OUTPUT, $GITHUB_ENV…) are in the job's container. */
export const RUNNER_FILES = {GITHUB_OUTPUT: '/tmp/github/output', GITHUB_ENV: '/tmp/github/env', GITHUB_PATH: '/tmp/github/path', GITHUB_STEP_SUMMARY: '/tmp/github/step-summary.md'}

/** github.* values orca can give: the rest are passed through from where orca runs. */
const GITHUB_MAPPED: Record<string, string> = {workspace: WORKDIR, action_path: WORKDIR}
const RUNNER_VALUES: Record<string, string> = {os: 'Linux', arch: 'X64', temp: '/tmp', tool_cache: '/opt/hostedtoolcache', name: 'orca'}
const GITHUB_PASSED = new Set(['sha', 'ref', 'ref_name', 'ref_type', 'head_ref', 'base_ref', 'repository', 'repository_owner', 'run_id', 'run_number', 'run_attempt', 'actor', 'event_name', 'server_url', 'api_url', 'job', 'workflow', 'triggering_actor'])

const JOB_KEYS = new Set(['name', 'runs-on', 'container', 'services', 'needs', 'if', 'strategy', 'env', 'steps', 'timeout-minutes', 'continue-on-error', 'outputs', 'environment', 'permissions', 'concurrency', 'defaults', 'uses', 'with', 'secrets'])
const STEP_KEYS = new Set(['id', 'name', 'run', 'uses', 'with', 'env', 'shell', 'working-directory', 'if', 'continue-on-error', 'timeout-minutes'])

export interface GithubImportOptions {
  defaultImage?: string
  /** A project file's text (for setup actions' version files, e.g. .nvmrc); undefined when it cannot be read. */
  readProjectFile: (path: string) => string | undefined
}

/** Per-job state the expression rewriting fills: variables to pass, secrets to copy, env added. */
interface JobContext {
  passEnv: Set<string>
  secrets: Set<string>
  env: Data
  names: JobNames
  notes: Array<[string, ImportStatus, string]>
}

/**
 * Rewrites `${{ … }}` in a run line (or a value) into what the shell reads: env.X → $X, secrets.X →
 * $X (an optional secret), github.sha → $GITHUB_SHA (passed through), needs outputs through env;
 * `${{ matrix.X }}` stays, orca replaces it.
 */
function rewriteExpressions(value: string, ctx: JobContext, inShell: boolean): string {
  return value.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (whole, inner: string) => {
    const ref = inner.trim()
    let m: RegExpExecArray | null
    if (/^matrix\.[A-Za-z_][\w-]*$/.test(ref)) return `\${{ ${ref} }}`
    if ((m = /^(?:env|vars|inputs)\.([A-Za-z_]\w*)$/.exec(ref))) {
      if (inShell) {
        if (!ref.startsWith('env.')) ctx.passEnv.add(m[1]!)
        return `\${${m[1]}}`
      }
    }
    if ((m = /^secrets\.([A-Za-z_]\w*)$/.exec(ref))) {
      ctx.secrets.add(m[1]!)
      if (inShell) return `\${${m[1]}}`
    }
    if ((m = /^github\.(\w+)$/.exec(ref))) {
      const mapped = GITHUB_MAPPED[m[1]!]
      if (mapped !== undefined) return mapped
      if (GITHUB_PASSED.has(m[1]!)) {
        const variable = `GITHUB_${m[1]!.toUpperCase()}`
        if (inShell) {
          ctx.passEnv.add(variable)
          return `\${${variable}}`
        }
      }
    }
    if ((m = /^runner\.(\w+)$/.exec(ref)) && RUNNER_VALUES[m[1]!] !== undefined) return RUNNER_VALUES[m[1]!]!
    if ((m = /^needs\.([\w-]+)\.outputs\.([A-Za-z_][\w-]*)$/.exec(ref)) && !inShell) return `\${{ needs.${ctx.names.get(m[1]!) ?? m[1]}.outputs.${m[2]} }}`
    if ((m = /^needs\.([\w-]+)\.outputs\.([A-Za-z_][\w-]*)$/.exec(ref)) && inShell) {
      const job = ctx.names.get(m[1]!) ?? m[1]!
      const variable = `NEEDS_${orcaName(job).toUpperCase().replace(/-/g, '_')}_${m[2]!.toUpperCase().replace(/-/g, '_')}`
      ctx.env[variable] = `\${{ needs.${job}.outputs.${m[2]} }}`
      ctx.notes.push([`\${{ ${ref} }}`, 'translated', `read as $${variable}, set from the output in env (orca never pastes an output into a command)`])
      return `\${${variable}}`
    }
    if ((m = /^steps\.([\w-]+)\.outputs\.([A-Za-z_][\w-]*)$/.exec(ref)) && inShell) {
      ctx.notes.push([`\${{ ${ref} }}`, 'approximated', "read back from the step's $GITHUB_OUTPUT file (its last NAME=value line)"])
      return `$(sed -n 's/^${m[2]}=//p' "${RUNNER_FILES.GITHUB_OUTPUT}" | tail -n 1)`
    }
    ctx.notes.push([`\${{ ${ref} }}`, 'dropped', inShell ? 'no equivalent outside GitHub Actions: replaced by an empty value' : "orca's env values are text as written: replaced by an empty value"])
    return ''
  })
}

/** Translates GitHub Actions workflows into one orca pipeline and report entries. */
export function importGithub(files: CiFile[], options: GithubImportOptions, entries: ImportEntry[]): OutPipeline {
  const names = new JobNames()
  const jobs = new Map<string, OutJob>()
  const top: Data = {}
  const header = [`Imported from ${files.map((f) => f.file).join(', ')} by \`orca import github\`.`, 'Check the report it printed for what did not come over as it was.']
  for (const ci of files) {
    const report = (path: NodePath, construct: string, status: ImportStatus, note: string, job?: string): void => {
      entries.push({construct, ...placeOf(ci, path), ...(job === undefined ? {} : {job}), status, note})
    }
    const workflow = ci.data
    const trigger = workflow.on ?? workflow.true
    if (trigger !== undefined) report(['on' in workflow ? 'on' : 'true'], `on: ${(isObject(trigger) ? Object.keys(trigger) : asList(trigger).map(text)).join(', ')}`, 'approximated', 'triggers are GitHub\'s; orca runs when you run it')
    if (workflow.permissions !== undefined) report(['permissions'], 'permissions', 'approximated', 'orca gives jobs no GitHub token')
    if (workflow.concurrency !== undefined) report(['concurrency'], 'concurrency', 'approximated', 'orca does not cancel or queue runs by group')
    if (workflow.name !== undefined) header.push(`Workflow: ${text(workflow.name)}`)
    const workflowEnv = isObject(workflow.env) ? workflow.env : {}
    const defaultsRun = isObject(workflow.defaults) && isObject(workflow.defaults.run) ? workflow.defaults.run : {}
    const jobsData = isObject(workflow.jobs) ? workflow.jobs : {}
    if (!isObject(workflow.jobs)) report([], 'jobs', 'dropped', 'the workflow has no jobs')
    const keys = Object.keys(jobsData)
    for (const key of keys) names.add(key)
    const perFileEnv: Data = {}
    for (const key of keys) {
      const name = names.get(key)!
      const raw = isObject(jobsData[key]) ? jobsData[key] : {}
      const out = newJob()
      const job = out.data
      const note = (path: NodePath, construct: string, status: ImportStatus, why: string): void => report(['jobs', key, ...path], construct, status, why, name)
      const ctx: JobContext = {passEnv: new Set(), secrets: new Set(), env: {}, names, notes: []}
      const comment = commentAbove(ci, ['jobs', key])
      if (comment) out.comments.push(...comment.split('\n').map((line) => line.replace(/^ /, '')))
      if (raw.name !== undefined) job.name = rewriteExpressions(text(raw.name), ctx, false)
      else if (name !== key) job.name = key
      if (raw.uses !== undefined) {
        note(['uses'], `uses: ${text(raw.uses)}`, 'dropped', 'a reusable workflow: import it on its own and make this job need its jobs')
        out.comments.push(`GitHub: uses: ${text(raw.uses)} (a reusable workflow, not imported)`)
      }

      // strategy.matrix
      const strategy = isObject(raw.strategy) ? raw.strategy : {}
      const matrixVariables = new Set<string>()
      if (raw.strategy !== undefined) {
        const matrix = strategy.matrix
        if (typeof matrix === 'string') note(['strategy', 'matrix'], 'strategy.matrix', 'dropped', 'a matrix computed by an expression (fromJSON) is known only when GitHub runs it')
        else if (isObject(matrix)) {
          const outMatrix: Data = {}
          let objects = false
          for (const [variable, values] of Object.entries(matrix)) {
            if (variable === 'include' || variable === 'exclude') {
              outMatrix[variable] = asList(values)
              continue
            }
            if (!Array.isArray(values)) {
              note(['strategy', 'matrix', variable], `strategy.matrix.${variable}`, 'dropped', 'a matrix value computed by an expression')
              continue
            }
            matrixVariables.add(variable)
            if (values.some((v) => typeof v === 'object' && v !== null)) objects = true
            outMatrix[variable] = values
          }
          for (const combo of [...asList(outMatrix.include), ...asList(outMatrix.exclude)]) {
            if (isObject(combo)) {
              for (const [k, v] of Object.entries(combo)) {
                if (typeof v === 'object' && v !== null) objects = true
                if (!k.startsWith('_')) matrixVariables.add(k)
              }
            }
          }
          if (objects) note(['strategy', 'matrix'], 'strategy.matrix', 'dropped', 'values that are lists or mappings: orca matrix values are text, numbers or booleans')
          else {
            job.matrix = outMatrix
            note(['strategy', 'matrix'], 'strategy.matrix', 'translated', 'matrix (the same rules: lists, include, exclude)')
          }
        }
        if (typeof strategy['max-parallel'] === 'number') job['max-parallel'] = strategy['max-parallel']
        if (strategy['fail-fast'] !== undefined) note(['strategy', 'fail-fast'], 'strategy.fail-fast', 'approximated', 'orca run --fail-fast stops the whole run after a failure; without it every expansion finishes')
      }

      // runs-on: Linux runners are containers here; macOS and Windows run on the host.
      const runsOn = asList(isObject(raw['runs-on']) ? raw['runs-on'].labels ?? raw['runs-on'].group : raw['runs-on']).map(text)
      const osValues = runsOn.flatMap((label) => {
        const m = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(label)
        return m && isObject(job.matrix) ? asList((job.matrix as Data)[m[1]!]).map(text) : [label]
      })
      const kind = (label: string): 'linux' | 'macos' | 'windows' | 'self' => (/macos|osx/i.test(label) ? 'macos' : /windows/i.test(label) ? 'windows' : /self-hosted/i.test(label) ? 'self' : 'linux')
      const kinds = new Set(runsOn.length === 0 ? ['linux'] : osValues.map(kind))
      let host = false
      if (!kinds.has('linux') && raw.container === undefined) {
        host = true
        job['runs-on'] = 'host'
        note(['runs-on'], `runs-on: ${runsOn.join(', ')}`, 'approximated', 'not a Linux container: the steps run on this machine (runs-on: host), never cached without host.key')
      } else if (kinds.size > 1) {
        const m = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(runsOn[0] ?? '')
        if (m && isObject(job.matrix)) {
          const others = osValues.filter((v) => kind(v) !== 'linux')
          ;(job.matrix as Data).exclude = [...asList((job.matrix as Data).exclude), ...others.map((v) => ({[m[1]!]: v}))]
          note(['runs-on'], `runs-on: ${osValues.join(', ')}`, 'approximated', `the Linux legs run in containers; ${others.join(', ')} left out (run them on such a machine with runs-on: host)`)
        }
      } else if (runsOn.length > 0) note(['runs-on'], `runs-on: ${runsOn.join(', ')}`, 'translated', 'a container of the job\'s image')

      // container:, services:
      const container = raw.container
      const containerImage = isObject(container) ? text(container.image) : text(container)
      if (containerImage !== '') {
        job.image = rewriteExpressions(containerImage, ctx, false)
        note(['container'], 'container', 'translated', `image: ${containerImage}`)
        if (isObject(container)) {
          if (isObject(container.env)) Object.assign(ctx.env, container.env)
          const options = text(container.options)
          const user = /--user[= ](\S+)/.exec(options)
          if (user) job.user = user[1]
          const others = options.replace(/--user[= ]\S+/, '').trim()
          if (others !== '') note(['container', 'options'], `container: options: ${others}`, 'approximated', 'Docker options other than --user are not applied (set resources:, network: in jobs.yml)')
          if (container.credentials !== undefined) note(['container', 'credentials'], 'container: credentials', 'approximated', 'log in to the registry with docker login before orca run')
        }
      }
      const portMap = new Map<string, string>()
      if (isObject(raw.services)) {
        const services: Data = {}
        for (const [id, service] of Object.entries(raw.services)) {
          const spec = isObject(service) ? service : {image: service}
          const serviceName = orcaName(id, 'service')
          const value: Data = {image: rewriteExpressions(text(spec.image), ctx, false)}
          if (isObject(spec.env)) value.env = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, rewriteExpressions(text(v), ctx, false)]))
          const options = text(spec.options)
          const health = /--health-cmd[= ](?:"([^"]*)"|'([^']*)'|(\S+))/.exec(options)
          const ready: Data = {}
          if (health) ready.command = health[1] ?? health[2] ?? health[3]
          const interval = /--health-interval[= ](\d+s)/.exec(options)
          const retries = /--health-retries[= ](\d+)/.exec(options)
          if (interval) ready.interval = interval[1]
          if (health) ready.timeout = `${Math.max(30, (interval ? parseInt(interval[1]!, 10) : 1) * (retries ? parseInt(retries[1]!, 10) : 30))}s`
          if (Object.keys(ready).length > 0) value.ready = ready
          for (const port of asList(spec.ports).map(text)) {
            const [hostPort, containerPort] = port.includes(':') ? port.split(':') : [port, port]
            portMap.set(hostPort!, `${serviceName}:${containerPort!.replace(/\/.*$/, '')}`)
          }
          services[serviceName] = value
          note(['services', id], `services: ${id}`, 'translated', `service ${serviceName}${health ? ', ready when its health command passes' : ''}, reached by its name`)
        }
        job.services = services
      }
      // A runner job reaches its services at localhost:PORT; in orca they are reached by name.
      const relocate = (value: string): string => (portMap.size === 0 || containerImage !== '' ? value : value.replace(/\b(?:localhost|127\.0\.0\.1):(\d+)\b/g, (whole, port: string) => portMap.get(port) ?? whole))
      if (portMap.size > 0 && containerImage === '') note(['services'], 'services: ports', 'translated', 'localhost:PORT in env and run lines becomes SERVICE:PORT: a service is reached by its name')

      // needs, if
      const needs = asList(raw.needs).map(text).map((n) => names.get(n) ?? orcaName(n))
      if (needs.length > 0) job.needs = needs
      if (raw.if !== undefined) {
        const condition = text(raw.if)
        const status = statusOnly(condition)
        if (status === 'on_success') note(['if'], `if: ${condition}`, 'translated', 'the default')
        else if (status !== undefined && (status !== 'on_failure' || needs.length > 0)) {
          job.when = status
          note(['if'], `if: ${condition}`, 'translated', `when: ${status}`)
        } else {
          const translated = translateGithubIf(condition, (ref) => contextInIf(ref, names, ctx))
          if (translated.expression !== undefined) {
            job.if = translated.expression
            note(['if'], `if: ${condition}`, /env\.GITHUB_|env\./.test(translated.expression) ? 'approximated' : 'translated', /env\./.test(translated.expression) ? `if: ${translated.expression} (GitHub's context read from the environment: orca run -e NAME=value)` : `if: ${translated.expression}`)
          } else {
            job.if = false
            out.comments.push(`GitHub: if: ${condition}`)
            note(['if'], `if: ${condition}`, 'dropped', `${translated.problem}; the job is kept with if: false`)
          }
        }
      }
      if (raw.environment !== undefined) {
        const envName = isObject(raw.environment) ? text(raw.environment.name) : text(raw.environment)
        note(['environment'], `environment: ${envName}`, 'approximated', 'a deploy job: orca runs its steps but keeps no environment, protection rule or deployment record')
        out.comments.push(`GitHub deploys this job to the environment ${envName}.`)
      }
      if (raw['timeout-minutes'] !== undefined) job.timeout = `${Number(raw['timeout-minutes'])}m`
      if (raw['continue-on-error'] !== undefined && raw['continue-on-error'] !== false) note(['continue-on-error'], 'continue-on-error', 'approximated', 'every step may fail (allow_failure): the job succeeds')
      for (const k of ['permissions', 'concurrency']) if (raw[k] !== undefined) note([k], k, 'approximated', k === 'permissions' ? 'orca gives jobs no GitHub token' : 'orca does not cancel or queue runs by group')
      for (const k of Object.keys(raw)) if (!JOB_KEYS.has(k)) note([k], k, 'dropped', 'not a GitHub Actions job key orca knows')

      // env: the workflow's (when several files are imported), then the job's.
      const env: Data = {}
      if (files.length > 1) for (const [k, v] of Object.entries(workflowEnv)) env[k] = v
      else for (const [k, v] of Object.entries(workflowEnv)) perFileEnv[k] = v
      if (isObject(raw.env)) Object.assign(env, raw.env)

      // steps
      const jobDefaults = isObject(raw.defaults) && isObject(raw.defaults.run) ? raw.defaults.run : {}
      const shellDefault = text(jobDefaults.shell ?? defaultsRun.shell)
      const dirDefault = text(jobDefaults['working-directory'] ?? defaultsRun['working-directory'])
      const steps: unknown[] = []
      const action: ActionContext = {job, image: undefined, volumes: {}, artifacts: [], artifactsWhen: 'on_success', preSteps: [], note: () => undefined, matrixVariables, readProjectFile: options.readProjectFile}
      const writes = {GITHUB_OUTPUT: false, GITHUB_ENV: false, GITHUB_PATH: false, GITHUB_STEP_SUMMARY: false}
      asList(raw.steps).forEach((rawStep, index) => {
        const step = isObject(rawStep) ? rawStep : {}
        const at = ['steps', index]
        const stepNote = (construct: string, status: ImportStatus, why: string): void => note(at, construct, status, why)
        const stepComment = commentAbove(ci, ['jobs', key, 'steps', index])
        const pushComment = (lines: string[]): void => {
          const list = out.stepComments.get(steps.length) ?? []
          list.push(...lines)
          out.stepComments.set(steps.length, list)
        }
        if (stepComment) pushComment(stepComment.split('\n').map((l) => l.replace(/^ /, '')))
        for (const k of Object.keys(step)) if (!STEP_KEYS.has(k)) stepNote(k, 'dropped', 'not a step key orca knows')
        let when: string | undefined
        let guard: string | undefined
        if (step.if !== undefined) {
          const condition = text(step.if)
          const status = statusOnly(condition)
          if (status !== undefined) {
            if (status !== 'on_success') when = status
          } else {
            guard = shellGuard(condition)
            if (guard === undefined) {
              stepNote(`if: ${condition}`, 'dropped', 'a step condition orca cannot express: the step is left out, as a comment')
              pushComment([`GitHub step (left out, its condition has no equivalent): if: ${condition}`, ...(step.run !== undefined ? text(step.run).trimEnd().split('\n').map((l) => `  ${l}`) : [`  uses: ${text(step.uses)}`])])
              return
            }
            stepNote(`if: ${condition}`, 'translated', 'a shell test around the step')
          }
        }
        if (step.uses !== undefined) {
          action.artifactsWhen = when ?? 'on_success'
          action.note = stepNote
          const handled = githubAction(text(step.uses), isObject(step.with) ? step.with : {}, action)
          if (!handled) {
            stepNote(`uses: ${text(step.uses)}`, 'dropped', 'an action with no local equivalent: left as a comment')
            pushComment([`GitHub action (no local equivalent): uses: ${text(step.uses)}`])
          }
          steps.push(...action.preSteps.splice(0))
          return
        }
        if (step.run === undefined) return
        let run = relocate(rewriteExpressions(text(step.run), ctx, true)).replace(/\n+$/, '')
        // Steps run as root in the job's container (unless user: says otherwise), where images seldom have sudo.
        if (/(^|[\s;&|(])sudo\s+(?!-)/m.test(run)) {
          run = run.replace(/(^|[\s;&|(])sudo\s+(?!-)/gm, '$1')
          stepNote('sudo', 'approximated', 'removed: the step runs as root in the container')
        }
        for (const variable of Object.keys(writes) as Array<keyof typeof writes>) if (new RegExp(`\\$\\{?${variable}\\b`).test(run)) writes[variable] = true
        const dir = text(step['working-directory'] ?? dirDefault)
        const shell = text(step.shell ?? shellDefault)
        const posix = shell === '' || shell === 'bash' || shell === 'sh'
        if (dir !== '' && dir !== '.' && posix) run = `cd ${shellQuote(rewriteExpressions(dir, ctx, true))}\n${run}`
        else if (dir !== '' && dir !== '.') stepNote(`working-directory: ${dir}`, 'dropped', `the step's shell (${shell}) is not sh or bash: it runs in the workdir`)
        if (guard !== undefined) run = `if ${guard}; then\n${run.replace(/^/gm, '  ')}\nfi`
        const beside = commentBeside(ci, ['jobs', key, 'steps', index, 'run'])
        if (beside) pushComment([beside.replace(/^ /, '')])
        const stepOut: Data = {}
        if (step.name !== undefined) stepOut.name = rewriteExpressions(text(step.name), ctx, false)
        stepOut.run = run
        if (shell !== '') {
          const mapped = stepShell(shell)
          if (mapped === undefined) stepNote(`shell: ${shell}`, 'dropped', 'a Windows shell: the step runs with the job\'s shell')
          else stepOut.shell = mapped
        }
        if (isObject(step.env)) {
          const stepEnv = envBlock(step.env, ctx, (k, secret) => stepNote(`env: ${k}: secrets.${secret}`, 'approximated', `the secret is read from orca's environment as ${k} (by the whole job)`), relocate)
          if (Object.keys(stepEnv).length > 0) stepOut.env = stepEnv
        }
        if (step['continue-on-error'] === true || raw['continue-on-error'] === true) stepOut.allow_failure = true
        if (step['timeout-minutes'] !== undefined) stepOut.timeout = `${Number(step['timeout-minutes'])}m`
        if (when !== undefined) stepOut.when = when
        steps.push(Object.keys(stepOut).length === 1 ? run : stepOut)
      })
      // Files the runner gives every step: kept under /tmp/github; what a step adds to $GITHUB_ENV or $GITHUB_PATH reaches the later steps.
      if (Object.values(writes).some(Boolean)) {
        steps.unshift({name: 'GitHub runner files', run: `mkdir -p /tmp/github && touch ${Object.values(RUNNER_FILES).join(' ')}`})
        for (const [variable, file] of Object.entries(RUNNER_FILES)) ctx.env[variable] = file
        note(['steps'], '$GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_PATH, $GITHUB_STEP_SUMMARY', 'approximated', `files under /tmp/github in the job's container${writes.GITHUB_ENV || writes.GITHUB_PATH ? '; the later steps read $GITHUB_ENV and $GITHUB_PATH first' : ''}; the step summary is not shown`)
        if (writes.GITHUB_ENV || writes.GITHUB_PATH) {
          const prelude = 'set -a; . /tmp/github/env; set +a; PATH="$(tr \'\\n\' \':\' < /tmp/github/path)$PATH"'
          for (let i = 1; i < steps.length; i++) {
            const s = steps[i]
            if (typeof s === 'string') steps[i] = `${prelude}\n${s}`
            else if (isObject(s) && typeof s.run === 'string' && (s.shell === undefined || /^(ba)?sh\b/.test(text(s.shell)))) s.run = `${prelude}\n${s.run}`
          }
        }
      }
      if (isObject(raw.outputs)) {
        const outputs: string[] = []
        for (const [output, value] of Object.entries(raw.outputs)) {
          const m = /^\$\{\{\s*steps\.[\w-]+\.outputs\.([\w-]+)\s*\}\}$/.exec(text(value).trim())
          if (m && m[1] === output) outputs.push(output)
          else note(['outputs', output], `outputs: ${output}`, 'dropped', 'only an output that hands on a step output of the same name comes over')
        }
        if (outputs.length > 0) {
          job.outputs = outputs
          steps.push({name: 'outputs', run: `cat ${RUNNER_FILES.GITHUB_OUTPUT} >> "$ORCA_OUTPUT"`})
          note(['outputs'], 'outputs', 'translated', "the job's $GITHUB_OUTPUT lines are handed on as its outputs")
        }
      }
      if (portMap.size > 0 && containerImage === '' && steps.some((st) => /\b(?:localhost|127\.0\.0\.1)\b/.test(typeof st === 'string' ? st : text((st as Data).run)))) {
        note(['steps'], 'localhost in a run line', 'approximated', 'a step still names localhost or 127.0.0.1: in orca a service is reached by its name and its container port')
      }
      if (!host && (steps.length > 0 || containerImage !== '')) {
        const image = containerImage !== '' ? undefined : action.image
        if (containerImage === '') {
          job.image = image ?? options.defaultImage ?? GITHUB_DEFAULT_IMAGE
          if (image === undefined) note([], 'the runner\'s image', 'approximated', `a container of ${String(job.image)} (Ubuntu with git, curl and compilers; not every tool of GitHub's runner): orca import --image chooses another`)
        }
        // GitHub runs a step with bash -e when the image has bash (pipefail only with shell: bash).
        const imageText = text(job.image)
        if (steps.length > 0 && !/alpine|busybox/.test(imageText) && shellDefault === '') job.shell = 'bash -e {0}'
        if (Object.keys(action.volumes).length > 0) job.volumes = action.volumes
      } else if (host) {
        for (const k of ['services', 'user']) delete job[k]
      }
      Object.assign(env, envBlock(env, ctx, (k, secret) => note(['env', k], `env: ${k}: secrets.${secret}`, 'approximated', `the secret is read from orca's environment as ${k}`), relocate))
      for (const k of Object.keys(env)) if (ctx.secrets.has(k)) delete env[k]
      Object.assign(env, ctx.env)
      for (const [construct, status, why] of ctx.notes) note([], construct, status, why)
      if (Object.keys(env).length > 0) job.env = env
      const passEnv = [...ctx.passEnv].filter((v) => env[v] === undefined)
      if (passEnv.length > 0) {
        job.pass_env = passEnv.sort()
        note([], `github context ${passEnv.join(', ')}`, 'approximated', 'passed through from where orca runs (set on a GitHub runner, else empty: orca run -e sets it)')
      }
      if (ctx.secrets.size > 0) {
        job.secrets = [...ctx.secrets].sort().map((s) => ({name: s, required: false}))
        note([], `secrets ${[...ctx.secrets].join(', ')}`, 'translated', "optional secrets read from orca's environment, masked")
      }
      if (action.artifacts.length > 0) job.artifacts = action.artifactsWhen === 'on_success' ? action.artifacts : {paths: action.artifacts, when: action.artifactsWhen}
      if (steps.length > 0) job.steps = steps
      jobs.set(name, out)
    }
    if (files.length === 1 && Object.keys(perFileEnv).length > 0) {
      const ctx: JobContext = {passEnv: new Set(), secrets: new Set(), env: {}, names, notes: []}
      top.env = Object.fromEntries(Object.entries(perFileEnv).map(([k, v]) => [k, rewriteExpressions(text(v), ctx, false)]))
      report(['env'], 'env', 'translated', 'env of every job')
    }
  }
  return {header, top, jobs}
}

/**
 * An env block's values with their expressions rewritten; a variable set from a secret becomes an
 * optional secret of the job by the variable's own name (orca copies secrets by name).
 */
function envBlock(block: Data, ctx: JobContext, renamed: (name: string, secret: string) => void, relocate: (value: string) => string): Data {
  const out: Data = {}
  for (const [k, v] of Object.entries(block)) {
    const secret = /^\$\{\{\s*secrets\.(\w+)\s*\}\}$/.exec(text(v).trim())
    if (secret) {
      ctx.secrets.add(k)
      if (k !== secret[1]) renamed(k, secret[1]!)
      continue
    }
    out[k] = relocate(rewriteExpressions(text(v), ctx, false))
  }
  return out
}

/** A context read by a job's `if`, in orca's terms (undefined: orca cannot read it). */
function contextInIf(ref: string, names: JobNames, ctx: JobContext): string | undefined {
  let m: RegExpExecArray | null
  if (/^(?:matrix|env)\.[A-Za-z_][\w-]*$/.test(ref)) return ref
  if ((m = /^(?:vars|inputs)\.([A-Za-z_]\w*)$/.exec(ref))) {
    ctx.passEnv.add(m[1]!)
    return `env.${m[1]}`
  }
  if ((m = /^github\.(\w+)$/.exec(ref)) && GITHUB_PASSED.has(m[1]!)) {
    const variable = `GITHUB_${m[1]!.toUpperCase()}`
    ctx.passEnv.add(variable)
    return `env.${variable}`
  }
  if ((m = /^runner\.(\w+)$/.exec(ref)) && RUNNER_VALUES[m[1]!] !== undefined) return `'${RUNNER_VALUES[m[1]!]}'`
  if ((m = /^needs\.([\w-]+)\.(result|outputs\.[\w-]+)$/.exec(ref))) return `needs.${names.get(m[1]!) ?? m[1]}.${m[2]}`
  return undefined
}

/** A step `if:` on matrix values and literals (`matrix.node == 20 && runner.os == 'Linux'`) as a shell test; undefined otherwise. */
function shellGuard(condition: string): string | undefined {
  const body = condition.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1').trim()
  const parts = body.split(/\s*&&\s*/)
  const tests: string[] = []
  for (const part of parts) {
    const m = /^(matrix\.[\w-]+|runner\.os)\s*(==|!=)\s*(?:'([^']*)'|(\d+))$/.exec(part)
    if (!m) return undefined
    const left = m[1] === 'runner.os' ? 'Linux' : `\${{ ${m[1]} }}`
    tests.push(`[ "${left}" ${m[2] === '==' ? '=' : '!='} '${m[3] ?? m[4]}' ]`)
  }
  return tests.join(' && ')
}

/** GitHub's step shells in orca's terms; undefined for Windows-only ones. */
function stepShell(shell: string): string | undefined {
  if (shell === 'bash') return 'bash'
  if (shell === 'sh') return 'sh'
  if (shell === 'python') return 'python3 {0}'
  if (shell === 'pwsh') return 'pwsh -command . {0}'
  if (shell === 'cmd' || shell === 'powershell') return undefined
  return shell
}

const shellQuote = (value: string): string => (/^[\w./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`)
