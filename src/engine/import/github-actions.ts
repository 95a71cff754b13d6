import type {ImportStatus} from './report.js'

type Data = Record<string, unknown>

/** What the actions of one job decide: its image, volumes, artifacts, steps to add. */
export interface ActionContext {
  job: Data
  /** The image a setup action chose (the first one wins). */
  image: string | undefined
  volumes: Record<string, string>
  artifacts: string[]
  /** When the artifacts are collected: the upload step's if (failure(), always()). */
  artifactsWhen: string
  /** Steps the action becomes, added where it stood. */
  preSteps: unknown[]
  note: (construct: string, status: ImportStatus, why: string) => void
  matrixVariables: Set<string>
  readProjectFile: (path: string) => string | undefined
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))

/** `18.x`, `>=20`, `lts/*`, `${{ matrix.node }}` as an image tag. */
function tag(version: string, fallback: string): string {
  const v = version.trim()
  if (v === '') return fallback
  if (/^\$\{\{\s*matrix\.[\w-]+\s*\}\}$/.test(v)) return v.replace(/\s+/g, ' ').replace('${{ ', '${{ ').replace(/\s*\}\}$/, ' }}')
  if (/^lts\//.test(v) || v === 'latest' || v === 'stable' || v === 'node') return fallback
  const m = /^[~^>=v]*(\d+(?:\.\d+){0,2})/.exec(v)
  return m ? m[1]!.replace(/\.x$/, '') : fallback
}

/** The image a setup action stands for: language → image name, version input, default tag, cache folders. */
const SETUP: Record<string, {image: string; version: string[]; fallback: string; caches?: Record<string, Record<string, string>>}> = {
  'actions/setup-node': {image: 'node', version: ['node-version'], fallback: 'lts', caches: {npm: {'npm-cache': '/root/.npm'}, yarn: {'yarn-cache': '/usr/local/share/.cache/yarn'}, pnpm: {'pnpm-store': '/root/.local/share/pnpm/store'}}},
  'actions/setup-python': {image: 'python', version: ['python-version'], fallback: '3', caches: {pip: {'pip-cache': '/root/.cache/pip'}, poetry: {'poetry-cache': '/root/.cache/pypoetry'}}},
  'actions/setup-go': {image: 'golang', version: ['go-version'], fallback: 'latest', caches: {true: {'go-mod': '/go/pkg/mod', 'go-build': '/root/.cache/go-build'}}},
  'actions/setup-java': {image: 'eclipse-temurin', version: ['java-version'], fallback: 'latest', caches: {maven: {'maven-repo': '/root/.m2'}, gradle: {'gradle-cache': '/root/.gradle'}}},
  'ruby/setup-ruby': {image: 'ruby', version: ['ruby-version'], fallback: 'latest'},
  'oven-sh/setup-bun': {image: 'oven/bun', version: ['bun-version'], fallback: 'latest'},
  'denoland/setup-deno': {image: 'denoland/deno', version: ['deno-version'], fallback: 'latest'},
  'dtolnay/rust-toolchain': {image: 'rust', version: ['toolchain'], fallback: 'latest'},
  'actions-rs/toolchain': {image: 'rust', version: ['toolchain'], fallback: 'latest'},
  'erlef/setup-beam': {image: 'elixir', version: ['elixir-version'], fallback: 'latest'},
  'shivammathur/setup-php': {image: 'php', version: ['php-version'], fallback: 'cli'},
}

/** Actions that need nothing in orca: what they do, orca does already. */
const NOTHING: Record<string, string> = {
  'actions/download-artifact': "the artifacts of the jobs it needs are already in the job's workspace",
  'docker/setup-qemu-action': 'nothing to set up for a job in a container',
  'actions/setup-dotnet': '',
}

/**
 * The matrix values a setup action's version reads become image tags (`18.x` → `18`, `lts/*` →
 * `lts`), in the lists and in include/exclude, so `node:${{ matrix.node }}` names an image.
 */
function imageTagsInMatrix(ctx: ActionContext, variable: string, fallback: string): void {
  const matrix = ctx.job.matrix as Data | undefined
  if (!matrix) return
  const changed: string[] = []
  const fix = (value: unknown): unknown => {
    if (typeof value !== 'string' && typeof value !== 'number') return value
    const fixed = tag(String(value), fallback)
    if (fixed !== String(value)) changed.push(`${String(value)} → ${fixed}`)
    return fixed === String(value) ? value : fixed
  }
  if (Array.isArray(matrix[variable])) matrix[variable] = (matrix[variable] as unknown[]).map(fix)
  for (const k of ['include', 'exclude']) {
    for (const combo of Array.isArray(matrix[k]) ? (matrix[k] as Data[]) : []) if (combo && typeof combo === 'object' && variable in combo) combo[variable] = fix(combo[variable])
  }
  if (changed.length > 0) ctx.note(`matrix.${variable}`, 'approximated', `values made image tags: ${[...new Set(changed)].join(', ')}`)
}

/** Applies one `uses:` to the job; false when orca has no local equivalent. */
export function githubAction(uses: string, withInputs: Data, ctx: ActionContext): boolean {
  const [name = '', ref = ''] = uses.split('@')
  const action = name.split('/').slice(0, 2).join('/')
  if (uses.startsWith('docker://') || uses.startsWith('./')) return false
  if (action === 'actions/checkout') {
    const depth = Number(withInputs['fetch-depth'] ?? 1)
    if (withInputs.repository !== undefined || withInputs.path !== undefined) {
      ctx.note(`uses: ${uses}`, 'dropped', 'a checkout of another repository or into a subfolder: clone it in a step')
      return true
    }
    if (depth === 0) ctx.job.git = true
    else if (depth > 1) ctx.job.git = {depth}
    ctx.note(`uses: ${uses}`, 'translated', depth === 1 ? "nothing: the job's inputs are the project's files" : `the project's files, with its history (git: ${depth === 0 ? 'true' : `{depth: ${depth}}`})`)
    if (withInputs.submodules !== undefined) ctx.note('actions/checkout: submodules', 'approximated', 'submodules come as the project holds them')
    return true
  }
  const setup = SETUP[action]
  if (setup) {
    const versionFile = text(withInputs[setup.version[0]!.replace(/-version$|$/, '-version-file')] ?? withInputs['node-version-file'] ?? withInputs['python-version-file'] ?? withInputs['go-version-file'])
    // A version file the project holds (.nvmrc, .python-version, go.mod's go line) names the version.
    const fromFile = versionFile === '' ? undefined : /^\s*(?:go\s+)?v?(\d+(?:\.\d+)*)/m.exec(ctx.readProjectFile(versionFile) ?? '')?.[1]
    const version = fromFile ?? text(setup.version.map((k) => withInputs[k]).find((v) => v !== undefined))
    const matrixVariable = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(version.trim())?.[1]
    if (matrixVariable !== undefined) imageTagsInMatrix(ctx, matrixVariable, setup.fallback)
    const image = `${setup.image}:${tag(version, setup.fallback)}`
    if (ctx.image === undefined) {
      ctx.image = image
      ctx.note(`uses: ${uses}`, version === '' || tag(version, '') === '' ? 'approximated' : 'translated', `the job's image: ${image}`)
    } else ctx.note(`uses: ${uses}`, 'dropped', `one image per job: ${ctx.image} was chosen first; install this toolchain in a step`)
    const cache = text(withInputs.cache ?? (withInputs['cache-dependency-path'] !== undefined ? 'true' : ''))
    const volumes = setup.caches?.[cache] ?? (action === 'actions/setup-go' && withInputs.cache !== false ? setup.caches?.true : undefined)
    if (volumes) {
      Object.assign(ctx.volumes, volumes)
      ctx.note(`${action}: cache`, 'approximated', `named volumes kept across runs (${Object.keys(volumes).join(', ')}), not keyed on the lock file`)
    }
    if (withInputs['registry-url'] !== undefined) ctx.note(`${action}: registry-url`, 'approximated', 'write .npmrc in a step to publish')
    return true
  }
  if (action === 'pnpm/action-setup') {
    const version = text(withInputs.version)
    ctx.preSteps.push(`npm install -g pnpm${version === '' ? '' : `@${version}`}`)
    ctx.note(`uses: ${uses}`, 'translated', `a step: npm install -g pnpm${version === '' ? '' : `@${version}`}`)
    return true
  }
  if (action === 'actions/cache' || name === 'actions/cache/restore' || name === 'actions/cache/save') {
    for (const path of text(withInputs.path).split('\n').map((p) => p.trim()).filter(Boolean)) {
      if (path.startsWith('!') || /[*?]/.test(path)) continue
      const absolute = path.replace(/^~(?=\/|$)/, '/root').replace(/^(?!\/)/, '/workspace/')
      const volume = `cache-${path.replace(/^[~./]+/, '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'root'}`
      ctx.volumes[volume] = absolute
    }
    ctx.note(`uses: ${uses}`, 'approximated', `named volumes kept across runs at its paths; key: ${text(withInputs.key) || '(none)'} does not apply`)
    return true
  }
  if (action === 'actions/upload-artifact') {
    for (const path of text(withInputs.path).split('\n').map((p) => p.trim()).filter(Boolean)) {
      if (path.startsWith('!')) continue
      let glob = path.replace(/^\.\//, '').replace(/^\$\{\{\s*github\.workspace\s*\}\}\/?/, '')
      if (glob.startsWith('/') || glob.startsWith('~')) {
        ctx.note(`uses: ${uses} (${path})`, 'dropped', 'a path outside the workspace is not an artifact orca can collect')
        continue
      }
      glob = glob.replace(/\/+$/, '')
      ctx.artifacts.push(...(/[*?[{]/.test(glob) ? [glob] : [glob, `${glob}/**`]))
    }
    ctx.note(`uses: ${uses}`, 'translated', `artifacts${ctx.artifactsWhen === 'on_success' ? '' : ` (when: ${ctx.artifactsWhen})`}, kept in the run directory and handed to the jobs that need it`)
    return true
  }
  if (action in NOTHING && NOTHING[action] !== '') {
    ctx.note(`uses: ${uses}`, 'translated', NOTHING[action]!)
    return true
  }
  void ref
  return false
}
