// The cached path proven equal to the cold one: random edit sequences on small projects (outside a
// git work tree, at the top of one, and in a subfolder of one), and after every step the keys and
// input lists orca computes with all its derived records must equal those computed with none. No
// Docker: image IDs are a fixed answer. Beside them, directed cases make once each edit only one rule
// of git's listing sees, which random sequences meet rarely. scripts/cache-mutations.mjs disables
// each invalidation rule in turn and checks that this test fails: an edit kind here exists to meet some rule.
//
// Time is virtual. The files' timestamps are those of a filesystem with one-second resolution
// whose clock the test moves (by 0 to 6 s a step, and now and then back to an earlier second, as
// NTP or a restored VM does); orca is handed that clock as `now`. So edits within the same second
// keep a file's stat (the racy case the two-second rule is for), and an edit after the clock went
// back can keep its ctime (the case size, mtime, inode and mode are compared for; the mode only
// matters with the content: a chmod alone changes the key through the mode, not the hash). What no stat
// index can see is never made: an edit that leaves all five fields as a stat recorded with other
// content gets its mtime moved (see `settle`).
//
// ORCA_PROPERTY_SEQUENCES scales the run (default below); ORCA_PROPERTY_SEED=n replays one sequence.
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import type * as Fs from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative, resolve} from 'node:path'

import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {loadConfig} from '../../../src/engine/config/load.js'
import type {ResolvedConfig} from '../../../src/engine/config/types.js'
import {gitListingCacheFile, parsedPipelinesDir} from '../../../src/engine/cache/last.js'
import {openRunCache, projectFilesOf} from '../../../src/engine/cache/open.js'
import {planKeys} from '../../../src/engine/cache/plan-keys.js'
import {planRun} from '../../../src/engine/plan/plan.js'
import {loadPipeline} from '../../../src/engine/pipeline/load.js'
import {GIT_ENV} from '../../helpers/git.js'
import {randomGenerator, type RandomGenerator} from '../../helpers/random.js'

const TICK = 1000
/** Virtual time starts in 2001: far below any real timestamp, so an mtime set by the test is told apart from one the kernel wrote. */
const EPOCH = 1_000_000_000_000
const REAL_TIMES = 1_500_000_000_000

const clock = vi.hoisted(() => ({
  now: 0,
  /** Absolute path → the real stat signature last seen by `settle` and the virtual times given to it. */
  times: new Map<string, {real: string; mtimeMs: number; ctimeMs: number}>(),
}))

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>()
  const virtual = <T extends Fs.Stats | undefined>(file: Fs.PathLike, stats: T): T => {
    if (!stats || clock.now === 0) return stats
    const known = clock.times.get(String(file))
    const tick = Math.floor(clock.now / TICK) * TICK
    const mtimeMs = known && known.real === realSignature(stats) ? known.mtimeMs : stats.mtimeMs < REAL_TIMES ? stats.mtimeMs : tick
    const ctimeMs = known && known.real === realSignature(stats) ? known.ctimeMs : tick
    const out = Object.create(Object.getPrototypeOf(stats) as object) as Fs.Stats
    Object.assign(out, stats, {mtimeMs, ctimeMs, mtime: new Date(mtimeMs), ctime: new Date(ctimeMs)})
    return out as T
  }
  const lstatSync = ((file: Fs.PathLike, options?: Fs.StatSyncOptions) => virtual(absolute(file), fs.lstatSync(file, options) as Fs.Stats | undefined)) as typeof fs.lstatSync
  const statSync = ((file: Fs.PathLike, options?: Fs.StatSyncOptions) => virtual(absolute(file), fs.statSync(file, options) as Fs.Stats | undefined)) as typeof fs.statSync
  return {...fs, default: {...fs, lstatSync, statSync}, lstatSync, statSync}
})

/** The key of `file` in `clock.times`: orca stats folders as `dir/`, the test records them as `dir`. */
function absolute(file: Fs.PathLike): string {
  return resolve(String(file))
}

function realSignature(stats: Fs.Stats): string {
  return `${stats.ctimeMs}:${stats.mtimeMs}:${stats.ino}:${stats.size}:${stats.mode}`
}

const fs = await vi.importActual<typeof Fs>('node:fs')
// The default (150 sequences, with the directed cases) costs ≈ 20 s of CPU, most of it git's processes in the third of the sequences in git.
const SEQUENCES = Number(process.env.ORCA_PROPERTY_SEQUENCES ?? 150)
const STEPS = Number(process.env.ORCA_PROPERTY_STEPS ?? 6)
const ONLY = process.env.ORCA_PROPERTY_SEED === undefined ? undefined : Number(process.env.ORCA_PROPERTY_SEED)
// git's user configuration is read from a home of the test's own (set in beforeAll), where a sequence may write a global excludes file.
const ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(GIT_ENV).filter(([name]) => !name.startsWith('ORCA_') && name !== 'GIT_CONFIG_GLOBAL'))
const IMAGE_ID = async (): Promise<string> => 'sha256:0123'

const FILES = ['src/a.txt', 'src/b/c.txt', 'src/b/d.txt', 'docs/x.md', 'docs/skip/y.md', 'notes.txt', 'build/out.txt', 'node_modules/m/index.js']
const FOLDERS = ['', 'src/', 'src/b/', 'docs/', 'docs/skip/', 'build/', 'node_modules/m/', 'new/']
const IGNORE_LINES = ['build/', 'node_modules/', '*.log', '!keep.log', 'docs/skip/', 'notes.txt', '/new', 'c.txt']
const INPUTS = [undefined, ['src/**'], ['docs/**', '!docs/skip/**'], ['**/*.txt'], ['src/**', '!src/b/**'], ['notes.txt', 'link']]

let root: string
/** A repository holding the project at its top, and one holding it in a subfolder (`SUBFOLDER`). */
let template: string
let templateAbove: string
/** Where the project sits in `templateAbove`: git reads the ignore files of the folders above it too. */
const SUBFOLDER = 'app'

beforeAll(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'orca-cached-cold-'))
  ENV.HOME = join(root, 'home')
  ENV.XDG_CONFIG_HOME = join(ENV.HOME, '.config')
  fs.mkdirSync(ENV.XDG_CONFIG_HOME, {recursive: true})
  // Repositories to copy for every sequence in git: creating one costs more than a whole sequence.
  template = makeRepository(join(root, 'template'), '')
  templateAbove = makeRepository(join(root, 'template-above'), SUBFOLDER)
})
afterAll(() => fs.rmSync(root, {recursive: true, force: true}))

/** A repository at `top` with the project in `sub` ('' for the top), on branch main, and a branch `other` that changes and removes tracked files. */
function makeRepository(top: string, sub: string): string {
  const project = join(top, sub)
  fs.mkdirSync(project, {recursive: true})
  writeProject(project, 'jobs')
  if (sub !== '') fs.writeFileSync(join(top, '.gitignore'), '*.tmp\n')
  git(top, 'init', '-q')
  git(top, 'add', '-A')
  // Untracked from the start: excludes and ignore files above the project have files to hide.
  git(project, 'rm', '-q', '--cached', 'notes.txt', 'src/b/d.txt')
  // Tracked though ignored (git lists it all the same): only the index says so, which `git rm --cached` changes.
  git(project, 'add', '-f', 'build/out.txt')
  git(top, 'commit', '-qm', 'one')
  git(top, 'checkout', '-qb', 'other')
  fs.writeFileSync(join(project, 'src/a.txt'), 'a on the other branch\n')
  fs.writeFileSync(join(project, 'src/new-on-other.txt'), 'only there\n')
  fs.rmSync(join(project, 'docs/x.md'))
  // Only tracked files and the new one: a file committed on `other` alone would be removed from the work tree by the checkout of main.
  git(project, 'add', 'src/new-on-other.txt')
  git(top, 'commit', '-qam', 'other')
  git(top, 'checkout', '-q', 'main')
  // Without them, every exclude rule in a sequence would hide nothing git lists, and its rule would go untested.
  const untracked = git(project, 'ls-files', '--others', '--exclude-standard').split('\n')
  if (!untracked.includes('notes.txt') || !untracked.includes('src/b/d.txt')) throw new Error(`the template's untracked files are missing: ${untracked.join(' ')}`)
  return top
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=test@orca.invalid', '-c', 'user.name=orca test', '-c', 'init.defaultBranch=main', '-c', 'gc.auto=0', ...args], {cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

function jobsYaml(variant: {steps: number; inputs: number; image: boolean}): string {
  const inputs = INPUTS[variant.inputs]
  return [
    'version: 1',
    ...(variant.image ? ['image: busybox:1.36'] : []),
    'jobs:',
    '  all:',
    `    steps: ["echo all ${variant.steps}"]`,
    '  src:',
    '    inputs: ["src/**"]',
    '    steps: ["cat src/a.txt"]',
    '  use:',
    '    needs: [src]',
    ...(inputs ? [`    inputs: ${JSON.stringify(inputs)}`] : []),
    '    steps: ["true"]',
    '  group:',
    '    needs: [all, use]',
    '',
  ].join('\n')
}

function writeProject(dir: string, name: string): void {
  for (const file of FILES) {
    fs.mkdirSync(dirname(join(dir, file)), {recursive: true})
    fs.writeFileSync(join(dir, file), `${file} of ${name}\n`)
  }
  fs.writeFileSync(join(dir, '.gitignore'), 'build/\nnode_modules/\n*.log\n')
  fs.writeFileSync(join(dir, 'jobs.yml'), jobsYaml({steps: 0, inputs: 0, image: false}))
  fs.writeFileSync(join(dir, 'orca.config.yml'), 'defaults:\n  image: busybox:1.36\n')
  fs.mkdirSync(join(dir, '.orca'), {recursive: true})
}

interface JobKey {
  job: string
  key?: string
  inputs?: string[]
}

/**
 * Every job's key and input list, as `orca run --dry-run` would compute them: with the project's
 * records, or cold: under an empty `cacheDir` and with ORCA_NO_INDEX=all (no record read, and none
 * written, which spares the cold path the processes recording git's listing costs).
 */
async function keysOf(dir: string, coldCacheDir?: string): Promise<JobKey[]> {
  if (coldCacheDir === undefined) return keysWith(dir)
  process.env.ORCA_NO_INDEX = 'all'
  try {
    return await keysWith(dir, coldCacheDir)
  } finally {
    delete process.env.ORCA_NO_INDEX
  }
}

/** Inputs named by their git object id in every run so far: the sequences in git must exercise that path too. */
let gitNamed = 0

async function keysWith(dir: string, cacheDir?: string): Promise<JobKey[]> {
  const loaded = await loadConfig({cwd: dir, env: ENV})
  const config: ResolvedConfig = cacheDir === undefined ? loaded : {...loaded, cacheDir}
  const pipeline = await loadPipeline('jobs.yml', {cwd: dir, defaults: config.defaults, parseCacheDir: parsedPipelinesDir(config.cacheDir)})
  const projectFiles = await projectFilesOf(config, pipeline, ENV, clock.now)
  const cache = openRunCache({config, pipeline, projectFiles, envOverrides: {}, noCache: false, now: clock.now})
  const rows = await planKeys(planRun(pipeline, []), cache, IMAGE_ID)
  cache.finish()
  for (const row of rows) gitNamed += row.keyed?.inputs.filter((i) => i.git !== undefined).length ?? 0
  return rows.map((row) => ({job: row.job, key: row.keyed?.key, inputs: row.keyed?.inputs.map((i) => i.path)}))
}

/** One project through a sequence of random edits. */
class Sequence {
  readonly log: string[] = []
  /** The kind of the last edit made (named in a failure, and by the mutation script's table). */
  lastEdit = ''
  private counter = 0
  /** The highest the clock has been: below it, the clock was set back. */
  private latest: number
  /** Each path's virtual stat signatures seen, with the content they had. */
  private readonly seen = new Map<string, Map<string, string>>()
  private readonly ticks: number[] = []
  private jobs = {steps: 0, inputs: 0, image: false}

  constructor(
    readonly dir: string,
    /** The top of the work tree (holding `.git`): `dir`, or a folder above it. */
    readonly top: string,
    readonly inGit: boolean,
    readonly random: RandomGenerator,
    /** Whether the project was made a while before the first run (random when not said). */
    old?: boolean,
  ) {
    clock.now = EPOCH
    clock.times.clear()
    this.settle()
    // Half the projects were made a while before the first run, which records everything, so the
    // first edit already meets every derived record; the others are run on at once (racy).
    if (old ?? random.chance(0.5)) clock.now = EPOCH + 10 * TICK
    this.latest = clock.now
  }

  /** One random edit, at a random time; returns what it did. */
  step(): void {
    this.moveClock()
    // In git, half the edits are git's: each of its rules needs a kept record and then its one edit.
    const gitEdits = this.top === this.dir ? GIT_EDITS : [...GIT_EDITS, ...ABOVE_EDITS]
    const edits = this.inGit && this.random.chance(0.5) ? gitEdits : FILE_EDITS
    const [name, edit] = this.random.pick(edits)
    const what = edit(this)
    this.lastEdit = name
    this.log.push(`${(clock.now - EPOCH) / 1000}s ${name}${what ? `: ${what}` : ''}`)
    this.settle()
  }

  private moveClock(): void {
    if (this.ticks.length > 0 && this.random.chance(0.12)) {
      clock.now = this.random.pick(this.ticks)
      this.log.push(`clock set back to ${(clock.now - EPOCH) / 1000}s`)
    } else {
      clock.now = Math.max(clock.now, this.latest) + this.random.pick([0, 0, 300, 1000, 2500, 6000])
    }
    this.latest = Math.max(this.latest, clock.now)
  }

  /** A path of the project, for edits to pick from. */
  pickFile(): string | undefined {
    const files = this.listFiles()
    // After the clock went back, an edit of a file last changed in this very second is the interesting one.
    const tick = Math.floor(clock.now / TICK) * TICK
    const sameTick = files.filter((f) => clock.times.get(join(this.dir, f))?.ctimeMs === tick)
    if (clock.now < this.latest && sameTick.length > 0 && this.random.chance(0.8)) return this.random.pick(sameTick)
    return files.length === 0 ? undefined : this.random.pick(files)
  }

  listFiles(): string[] {
    return projectPaths(this.dir).filter((entry) => !entry.dirent.isDirectory()).map((entry) => entry.rel).sort()
  }

  text(): string {
    return `${'x'.repeat(this.random.int(3))}edit ${++this.counter}\n`
  }

  writeJobs(change: Partial<Sequence['jobs']>): void {
    this.jobs = {...this.jobs, ...change}
    fs.writeFileSync(join(this.dir, 'jobs.yml'), jobsYaml(this.jobs))
  }

  /**
   * Gives every path changed since the last call the virtual time of now. After the clock was set
   * back, a path whose stat would come back as one recorded with other content gets its mtime moved
   * to a time never used: no stat-based index can tell such an edit (git's cannot either).
   */
  settle(): void {
    const tick = Math.floor(clock.now / TICK) * TICK
    for (const path of this.allPaths()) {
      const stat = fs.lstatSync(path, {throwIfNoEntry: false})
      if (!stat) {
        clock.times.delete(path)
        continue
      }
      const real = realSignature(stat)
      const known = clock.times.get(path)
      if (known?.real === real) continue
      const times = {real, mtimeMs: stat.mtimeMs < REAL_TIMES ? stat.mtimeMs : tick, ctimeMs: tick}
      clock.times.set(path, times)
      this.ticks.push(tick)
      const signature = `${stat.size}:${times.mtimeMs}:${times.ctimeMs}:${stat.ino}:${stat.mode}`
      const content = contentOf(path, stat)
      const seen = this.seen.get(path) ?? new Map<string, string>()
      this.seen.set(path, seen)
      const before = seen.get(signature)
      if (before !== undefined && before !== content && clock.now < this.latest) {
        const moved = EPOCH - ++this.counter * TICK
        ;(stat.isSymbolicLink() ? fs.lutimesSync : fs.utimesSync)(path, moved / 1000, moved / 1000)
        const again = fs.lstatSync(path)
        clock.times.set(path, {real: realSignature(again), mtimeMs: moved, ctimeMs: tick})
        seen.set(`${again.size}:${moved}:${tick}:${again.ino}:${again.mode}`, content)
        this.log.push(`  (mtime of ${relative(this.dir, path)} moved: its stat would repeat one recorded with other content)`)
      } else {
        seen.set(signature, content)
      }
    }
  }

  /** The project's paths and the files of `.git` that orca stats (others in it are git's own business). */
  private allPaths(): string[] {
    const paths = [this.dir, ...projectPaths(this.dir).map((entry) => join(this.dir, entry.rel))]
    if (this.inGit) for (const rel of GIT_STATED) paths.push(join(this.top, '.git', rel))
    if (this.top !== this.dir) paths.push(this.top, join(this.top, '.gitignore'))
    if (this.inGit) paths.push(globalExcludes(), ...userConfiguration())
    for (const known of clock.times.keys()) if (!paths.includes(known)) paths.push(known)
    return paths
  }
}

/** Every path under `dir` but `.git` and `.orca`, relative. */
function projectPaths(dir: string, under = ''): Array<{rel: string; dirent: Fs.Dirent}> {
  const out: Array<{rel: string; dirent: Fs.Dirent}> = []
  for (const dirent of fs.readdirSync(join(dir, under), {withFileTypes: true})) {
    if (under === '' && (dirent.name === '.git' || dirent.name === '.orca')) continue
    const rel = `${under}${dirent.name}`
    out.push({rel, dirent})
    if (dirent.isDirectory()) out.push(...projectPaths(dir, `${rel}/`))
  }
  return out
}

function contentOf(path: string, stat: Fs.Stats): string {
  if (stat.isSymbolicLink()) return `link:${fs.readlinkSync(path)}`
  if (stat.isDirectory()) return `dir:${fs.readdirSync(path).sort().join('/')}`
  return createHash('sha256').update(fs.readFileSync(path)).digest('hex')
}

/** git's global excludes file when `core.excludesFile` is not set (`$XDG_CONFIG_HOME/git/ignore`). */
const globalExcludes = (): string => join(ENV.XDG_CONFIG_HOME!, 'git/ignore')
/** git's user configuration files, in the test's home. */
const userConfiguration = (): string[] => [join(ENV.HOME!, '.gitconfig'), join(ENV.XDG_CONFIG_HOME!, 'git/config')]
/** The file `core.excludesFile` names when a sequence sets it (kept in `.git`, so never a project file). */
const EXCLUDES_FILE = 'excludes'
/** What orca stats in a repository's `.git` (see git-listing-cache.ts). */
const GIT_STATED = ['', 'index', 'info', 'info/exclude', 'config', EXCLUDES_FILE]

type Edit = [string, (s: Sequence) => string | undefined]

const write = (s: Sequence, rel: string, text: string): void => {
  fs.mkdirSync(dirname(join(s.dir, rel)), {recursive: true})
  if (fs.lstatSync(join(s.dir, rel), {throwIfNoEntry: false})?.isDirectory()) return
  fs.writeFileSync(join(s.dir, rel), text)
}

/** Rewrites a file in place with the same number of bytes. */
const sameSize = (s: Sequence, rel: string): void => {
  const file = join(s.dir, rel)
  const bytes = fs.readFileSync(file)
  if (bytes.length > 0) bytes[s.random.int(bytes.length)] = 97 + s.random.int(26)
  fs.writeFileSync(file, bytes)
}

const FILE_EDITS: Edit[] = [
  ['content changed', (s) => {
    const rel = s.pickFile()
    if (rel && !fs.lstatSync(join(s.dir, rel)).isSymbolicLink()) fs.writeFileSync(join(s.dir, rel), s.text())
    return rel
  }],
  ['same-size edit, mtime restored', (s) => {
    const rel = s.pickFile()
    if (!rel || fs.lstatSync(join(s.dir, rel)).isSymbolicLink()) return rel
    const before = fs.lstatSync(join(s.dir, rel))
    sameSize(s, rel)
    fs.utimesSync(join(s.dir, rel), before.atime, new Date(clock.times.get(join(s.dir, rel))?.mtimeMs ?? before.mtimeMs))
    return rel
  }],
  ['other size, mtime restored', (s) => {
    const rel = s.pickFile()
    if (!rel || fs.lstatSync(join(s.dir, rel)).isSymbolicLink()) return rel
    const mtime = clock.times.get(join(s.dir, rel))?.mtimeMs
    fs.appendFileSync(join(s.dir, rel), 'more\n')
    if (mtime !== undefined) fs.utimesSync(join(s.dir, rel), mtime / 1000, mtime / 1000)
    return rel
  }],
  ['replaced by a renamed copy of the same size, mtime restored', (s) => {
    const rel = s.pickFile()
    if (!rel || fs.lstatSync(join(s.dir, rel)).isSymbolicLink()) return rel
    const file = join(s.dir, rel)
    const mtime = clock.times.get(file)?.mtimeMs
    const temp = `${file}.tmp-orca`
    fs.copyFileSync(file, temp)
    sameSize(s, relative(s.dir, temp))
    if (mtime !== undefined) fs.utimesSync(temp, mtime / 1000, mtime / 1000)
    fs.renameSync(temp, file)
    return rel
  }],
  ['mode changed', (s) => {
    const rel = s.pickFile()
    if (!rel || fs.lstatSync(join(s.dir, rel)).isSymbolicLink()) return rel
    const mode = fs.lstatSync(join(s.dir, rel)).mode & 0o777
    fs.chmodSync(join(s.dir, rel), mode ^ 0o100)
    return rel
  }],
  ['same-size edit and mode changed, mtime restored', (s) => {
    const rel = s.pickFile()
    if (!rel || fs.lstatSync(join(s.dir, rel)).isSymbolicLink()) return rel
    const file = join(s.dir, rel)
    const mtime = clock.times.get(file)?.mtimeMs
    sameSize(s, rel)
    fs.chmodSync(file, (fs.lstatSync(file).mode & 0o777) ^ 0o100)
    if (mtime !== undefined) fs.utimesSync(file, mtime / 1000, mtime / 1000)
    return rel
  }],
  ['touched (content unchanged)', (s) => {
    const rel = s.pickFile()
    if (rel) fs.lutimesSync(join(s.dir, rel), new Date(), new Date())
    return rel
  }],
  ['renamed', (s) => {
    const rel = s.pickFile()
    if (!rel) return undefined
    const to = `${s.random.pick(FOLDERS)}renamed-${s.random.int(4)}.txt`
    fs.mkdirSync(dirname(join(s.dir, to)), {recursive: true})
    if (fs.lstatSync(join(s.dir, to), {throwIfNoEntry: false})?.isDirectory()) return undefined
    fs.renameSync(join(s.dir, rel), join(s.dir, to))
    return `${rel} -> ${to}`
  }],
  ['deleted', (s) => {
    const rel = s.pickFile()
    if (rel && rel !== 'jobs.yml') fs.rmSync(join(s.dir, rel))
    return rel
  }],
  ['file added', (s) => {
    const rel = `${s.random.pick(FOLDERS)}${s.random.pick(['n.txt', 'keep.log', 'x.log', 'c.txt', 'z.md'])}`
    write(s, rel, s.text())
    return rel
  }],
  ['file added in an ignored folder', (s) => {
    const rel = `${s.random.pick(['build/', 'node_modules/m/', 'node_modules/'])}${s.random.pick(['gen.txt', 'x.js'])}`
    write(s, rel, s.text())
    return rel
  }],
  ['symlink made or retargeted', (s) => {
    const link = join(s.dir, s.random.pick(['link', 'src/link']))
    const target = s.random.pick(['notes.txt', 'src/a.txt', 'missing', 'src'])
    fs.rmSync(link, {force: true})
    if (fs.existsSync(link)) return undefined
    fs.symlinkSync(target, link)
    return `${relative(s.dir, link)} -> ${target}`
  }],
  ['.gitignore edited', (s) => {
    const lines = s.random.sample(IGNORE_LINES, s.random.int(4))
    fs.writeFileSync(join(s.dir, '.gitignore'), `${lines.join('\n')}\n`)
    return lines.join(' ')
  }],
  ['nested ignore file edited', (s) => {
    const file = s.random.pick(['src/.gitignore', 'docs/.orcaignore', '.orcaignore', 'src/b/.gitignore'])
    write(s, file, `${s.random.sample(['d.txt', '!c.txt', 'b/', '*.md', 'skip/'], 1 + s.random.int(2)).join('\n')}\n`)
    return file
  }],
  ['folder made or removed', (s) => {
    const folder = join(s.dir, s.random.pick(['empty', 'src/empty', 'new']))
    if (fs.existsSync(folder)) fs.rmSync(folder, {recursive: true})
    else fs.mkdirSync(folder, {recursive: true})
    return relative(s.dir, folder)
  }],
  ['jobs.yml edited', (s) => {
    const change = s.random.pick([{steps: s.random.int(3)}, {inputs: s.random.int(INPUTS.length)}, {image: s.random.chance(0.5)}])
    s.writeJobs(change)
    return JSON.stringify(change)
  }],
  ['config edited', (s) => {
    const image = s.random.pick(['busybox:1.36', 'busybox:1.37', 'alpine:3'])
    fs.writeFileSync(join(s.dir, 'orca.config.yml'), `defaults:\n  image: ${image}\n`)
    return image
  }],
]

const GIT_EDITS: Edit[] = [
  ['git commit -a', (s) => void tryGit(s, 'commit', '-qam', 'edit')],
  // The index alone says a file is tracked: adding an ignored file, or untracking one, changes the listing and no folder.
  ['git add', (s) => {
    const rel = s.random.pick(['build/out.txt', 'build/gen.txt', 'node_modules/m/index.js', 'x.log', 'notes.txt', 'src/a.txt', 'n.txt'])
    tryGit(s, 'add', '-f', rel)
    return rel
  }],
  ['git rm --cached', (s) => {
    const rel = s.random.pick(['build/out.txt', 'node_modules/m/index.js', 'src/a.txt', 'docs/x.md', 'notes.txt'])
    tryGit(s, 'rm', '-q', '--cached', rel)
    return rel
  }],
  ['git update-index', (s) => {
    const rel = s.random.pick(['build/out.txt', 'x.log', 'notes.txt', 'src/b/c.txt'])
    const how = s.random.pick(['--add', '--force-remove'])
    tryGit(s, 'update-index', how, rel)
    return `${how} ${rel}`
  }],
  ['git checkout', (s) => {
    const branch = s.random.pick(['main', 'other'])
    tryGit(s, 'checkout', '-qf', branch)
    return branch
  }],
  ['git stash', (s) => void tryGit(s, 'stash', '-q', '--include-untracked')],
  ['git stash pop', (s) => void tryGit(s, 'stash', 'pop', '-q')],
  ['info/exclude edited', (s) => {
    const line = s.random.pick(['', 'docs/\n', '*.txt\n', 'new/\n', 'notes.txt\n', 'b/\n'])
    fs.writeFileSync(join(s.top, '.git/info/exclude'), line)
    return line.trim()
  }],
  // The repository's configuration (a file git reads) names a global excludes file, whose rules then apply.
  ['core.excludesFile set or unset', (s) => {
    const set = s.random.chance(0.5)
    // The file it names holds rules already: only the configuration changed tells them to apply.
    if (set) fs.writeFileSync(join(s.top, '.git', EXCLUDES_FILE), s.random.pick(['*.txt\n', 'notes.txt\n', 'src/b/\n']))
    // A relative path is git's from the top of the work tree, wherever the project is.
    const named = s.random.pick([join(s.top, '.git', EXCLUDES_FILE), `.git/${EXCLUDES_FILE}`])
    if (set) tryGit(s, 'config', 'core.excludesFile', named)
    else tryGit(s, 'config', '--unset', 'core.excludesFile')
    return set ? `set to ${named.startsWith('.') ? named : 'an absolute path'}` : 'unset'
  }],
  ['excludes file edited', (s) => {
    const file = s.random.chance(0.5) ? join(s.top, '.git', EXCLUDES_FILE) : globalExcludes()
    const line = s.random.pick(['', '*.txt\n', 'src/b/\n', 'notes.txt\n', 'new/\n'])
    fs.mkdirSync(dirname(file), {recursive: true})
    fs.writeFileSync(file, line)
    return `${file === globalExcludes() ? '~/.config/git/ignore' : `.git/${EXCLUDES_FILE}`}: ${line.trim()}`
  }],
]

/** Edits of a repository whose top is above the project. */
const ABOVE_EDITS: Edit[] = [
  ['ignore file above the project edited', (s) => {
    const lines = s.random.sample([`${SUBFOLDER}/notes.txt`, '*.md', `${SUBFOLDER}/new/`, 'b/', '*.txt', `!${SUBFOLDER}/src/a.txt`], 1 + s.random.int(2))
    fs.writeFileSync(join(s.top, '.gitignore'), `${lines.join('\n')}\n`)
    return lines.join(' ')
  }],
]

/** The untracked file each directed edit hides (untracked in both template repositories). */
const HIDDEN = 'notes.txt'

/**
 * An edit only one rule of git's listing sees (no folder, index or ignore file in the project
 * changes), made once on a repository whose records were all kept. The random sequences meet such an
 * edit only when a record was kept at the step before and that one file is the one edited; these
 * meet it every run, so the mutation script catches each of those rules every run.
 */
interface Directed {
  edit: string
  /** The project in a subfolder of the repository: git reads relative paths from the top, not from the project. */
  subfolder: boolean
  /** Done before the first run, so recorded as it is. */
  before?: (top: string, dir: string) => void
  make: (top: string, dir: string) => void
}

const excludesFile = (top: string): string => join(top, '.git', EXCLUDES_FILE)
const DIRECTED: Directed[] = [
  {edit: 'info/exclude edited', subfolder: false, make: (top) => fs.writeFileSync(join(top, '.git/info/exclude'), `${HIDDEN}\n`)},
  {edit: 'ignore file above the project edited', subfolder: true, make: (top) => fs.writeFileSync(join(top, '.gitignore'), `${SUBFOLDER}/${HIDDEN}\n`)},
  {
    // Only the repository's configuration changes: the file it now names held its rules already.
    edit: 'core.excludesFile set to a relative path',
    subfolder: true,
    before: (top) => fs.writeFileSync(excludesFile(top), `${HIDDEN}\n`),
    make: (_top, dir) => void git(dir, 'config', 'core.excludesFile', `.git/${EXCLUDES_FILE}`),
  },
  {
    edit: 'file core.excludesFile names by a relative path edited',
    subfolder: true,
    before: (top, dir) => {
      fs.writeFileSync(excludesFile(top), '')
      git(dir, 'config', 'core.excludesFile', `.git/${EXCLUDES_FILE}`)
    },
    make: (top) => fs.writeFileSync(excludesFile(top), `${HIDDEN}\n`),
  },
  {
    edit: 'global excludes file edited',
    subfolder: false,
    before: () => {
      fs.mkdirSync(dirname(globalExcludes()), {recursive: true})
      fs.writeFileSync(globalExcludes(), '')
    },
    make: () => fs.writeFileSync(globalExcludes(), `${HIDDEN}\n`),
  },
  {
    // Absent when recorded, so not among the files git read: only the places git would read one are watched.
    edit: 'user configuration created, naming an excludes file',
    subfolder: false,
    before: (top) => fs.writeFileSync(excludesFile(top), `${HIDDEN}\n`),
    make: (top) => fs.writeFileSync(userConfiguration()[0]!, `[core]\n\texcludesFile = ${excludesFile(top)}\n`),
  },
]

/** A git command that may refuse in the state a sequence reached (nothing to commit, no stash): that is a step that changed nothing. */
function tryGit(s: Sequence, ...args: string[]): void {
  try {
    git(s.dir, ...args)
  } catch {
    // Refused: nothing changed.
  }
}

describe('keys computed with every derived record', () => {
  it("equal the keys computed from scratch after each edit only one rule of git's listing sees", async () => {
    for (const [index, directed] of DIRECTED.entries()) {
      const top = join(root, `directed-${index}`)
      const dir = directed.subfolder ? join(top, SUBFOLDER) : top
      const where = directed.subfolder ? 'git, project in a subfolder' : 'git'
      fs.cpSync(directed.subfolder ? templateAbove : template, top, {recursive: true})
      try {
        directed.before?.(top, dir)
        const sequence = new Sequence(dir, top, true, randomGenerator(index), true)
        // Twice: git's answer is recorded from a checkout's second run on.
        await keysOf(dir)
        const before = await keysOf(dir)
        // Not vacuous: git's listing was recorded, with the file the edit hides, and the edit changes the keys.
        const record = gitListingCacheFile((await loadConfig({cwd: dir, env: ENV})).cacheDir, dir)!
        const recorded = fs.existsSync(record) ? (JSON.parse(fs.readFileSync(record, 'utf8')) as {untracked: string[]}).untracked : []
        expect(recorded, `${directed.edit}: git's listing was not recorded before the edit`).toContain(HIDDEN)
        clock.now += 6 * TICK
        directed.make(top, dir)
        sequence.settle()
        const cold = join(root, `directed-cold-${index}`)
        const expected = await keysOf(dir, cold)
        fs.rmSync(cold, {recursive: true, force: true})
        expect(expected, `${directed.edit}: the edit did not change the keys`).not.toEqual(before)
        expect(await keysOf(dir), `directed case (${where}), step 1 [${directed.edit}]`).toEqual(expected)
      } finally {
        clock.now = 0
        fs.rmSync(top, {recursive: true, force: true})
        for (const file of [globalExcludes(), ...userConfiguration()]) fs.rmSync(file, {force: true})
      }
    }
  })

  it(`equal the keys computed from scratch, after every step of ${SEQUENCES} random sequences of ${STEPS} edits`, async () => {
    const seeds = ONLY === undefined ? Array.from({length: SEQUENCES}, (_, i) => i + 1) : [ONLY]
    gitNamed = 0
    for (const seed of seeds) {
      const random = randomGenerator(seed)
      const top = join(root, `seq-${seed}`)
      const inGit = seed % 3 === 0
      // Every other sequence in git has the project in a subfolder of the repository.
      const dir = inGit && seed % 2 === 1 ? join(top, SUBFOLDER) : top
      if (inGit) fs.cpSync(dir === top ? template : templateAbove, top, {recursive: true})
      else {
        fs.mkdirSync(dir)
        writeProject(dir, `seq-${seed}`)
      }
      const sequence = new Sequence(dir, top, inGit, random)
      try {
        await keysOf(dir)
        for (let step = 1; step <= STEPS; step++) {
          sequence.step()
          const cold = join(root, `cold-${seed}-${step}`)
          const expected = await keysOf(dir, cold).catch((error: Error) => [{job: `error: ${error.message}`}])
          fs.rmSync(cold, {recursive: true, force: true})
          const actual = await keysOf(dir).catch((error: Error) => [{job: `error: ${error.message}`}])
          if (JSON.stringify(actual) !== JSON.stringify(expected)) {
            const replay = `ORCA_PROPERTY_SEED=${seed} npx vitest run test/engine/cache/cached-equals-cold.test.ts`
            expect(actual, `seed ${seed} (${!inGit ? 'no git' : dir === top ? 'git' : 'git, project in a subfolder'}), step ${step} [${sequence.lastEdit}]; replay: ${replay}\n${sequence.log.join('\n')}`).toEqual(expected)
          }
        }
      } finally {
        clock.now = 0
        fs.rmSync(top, {recursive: true, force: true})
        for (const file of [globalExcludes(), ...userConfiguration()]) fs.rmSync(file, {force: true})
      }
    }
    if (seeds.some((seed) => seed % 3 === 0)) expect(gitNamed, 'no committed file was named by its git object id').toBeGreaterThan(0)
    // Two seconds a sequence: a larger budget (the mutation script's) gets the time it needs.
  }, Math.max(300_000, SEQUENCES * 2_000))
})
