// Mutation test of the derived records' invalidation rules: for each rule, a copy of the tree with
// that one rule patched out, and the property test (test/engine/cache/cached-equals-cold.test.ts)
// run against it. Every rule must make it fail; a rule it cannot catch is reported as survived.
// Usage: node scripts/cache-mutations.mjs [rule-name ...]   (ORCA_PROPERTY_SEQUENCES sets the budget)
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** [name, file, the code of the rule, the code with the rule disabled]. */
const RULES = [
  ['stat index: size', 'src/engine/cache/stat-index.ts', 'n[at] === stat.size &&', 'true &&'],
  ['stat index: mtime', 'src/engine/cache/stat-index.ts', 'n[at + 1] === stat.mtimeMs &&', 'true &&'],
  ['stat index: ctime', 'src/engine/cache/stat-index.ts', 'n[at + 2] === stat.ctimeMs &&', 'true &&'],
  ['stat index: inode', 'src/engine/cache/stat-index.ts', 'n[at + 3] === stat.ino &&', 'true &&'],
  ['stat index: mode', 'src/engine/cache/stat-index.ts', '&& n[at + 4] === stat.mode', '&& true'],
  ['stat index: racy two seconds', 'src/engine/cache/stat-index.ts', 'if (now - stat.mtimeMs < RACY_MS || now - stat.ctimeMs < RACY_MS) this.added.delete(rel)', 'if (false) this.added.delete(rel)'],
  ['listings: folder stat', 'src/engine/plan/listing-cache.ts', 'return row[0] === stat.mtimeMs && row[1] === stat.ctimeMs && row[2] === stat.ino', 'return true'],
  ['listings: ignore rules over the folder', 'src/engine/plan/walk.ts', 'if (rules.id === cached.rulesId) return emit(', 'if (true) return emit('],
  ['listings: racy two seconds', 'src/engine/plan/listing-cache.ts', 'if (now - stat.mtimeMs < RACY_MS || now - stat.ctimeMs < RACY_MS) {', 'if (false) {'],
  ["git's listing: watched stats compared", 'src/engine/plan/git-listing-cache.ts', 'for (const [watched, seen] of recorded.stats) if (signature(watched) !== seen) return undefined', ''],
  ["git's listing: the index watched", 'src/engine/plan/git-listing-cache.ts', "for (const name of ['index', 'info/exclude']) watch(path.join(gitDir, name))", "for (const name of ['info/exclude']) watch(path.join(gitDir, name))"],
  ["git's listing: info/exclude watched", 'src/engine/plan/git-listing-cache.ts', "for (const name of ['index', 'info/exclude']) watch(path.join(gitDir, name))", "for (const name of ['index']) watch(path.join(gitDir, name))"],
  ["git's listing: folders watched", 'src/engine/plan/git-listing-cache.ts', '      watch(abs)\n', '\n'],
  ["git's listing: .gitignore files watched", 'src/engine/plan/git-listing-cache.ts', "if (entry.name === '.gitignore') watch(path.join(abs, entry.name))", ''],
  ["git's listing: ignore files above the project watched", 'src/engine/plan/git-listing-cache.ts', "    watch(path.join(dir, '.gitignore'))\n    if (dir === top) break", '    if (dir === top) break'],
  ["git's listing: configuration files watched", 'src/engine/plan/git-listing-cache.ts', "watch(path.resolve(top, origin.slice('file:'.length)))", ''],
  ["git's listing: core.excludesFile watched", 'src/engine/plan/git-listing-cache.ts', 'watch(path.resolve(top, named.replace(', 'void (path.resolve(top, named.replace('],
  ["git's listing: user configuration and global excludes watched", 'src/engine/plan/git-listing-cache.ts', "path.join(xdg, 'git/ignore')]) watch(file)", "path.join(xdg, 'git/ignore')]) void file"],
  ["git's listing: racy two seconds", 'src/engine/plan/git-listing-cache.ts', '(now - stat.mtimeMs < RACY_MS || now - stat.ctimeMs < RACY_MS)) return', 'false) return'],
  ['parsed jobs files: keyed by the bytes', 'src/engine/pipeline/parse-cache.ts', 'input.defaults, input.source]', 'input.defaults]'],
  ['parsed jobs files: keyed by the defaults', 'src/engine/pipeline/parse-cache.ts', 'input.displayFile, input.defaults,', 'input.displayFile,'],
]

const only = process.argv.slice(2)
const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {cwd: root, encoding: 'utf8'}).split('\0').filter(Boolean)
const results = []
for (const [name, file, rule, disabled] of RULES) {
  if (only.length > 0 && !only.includes(name)) continue
  const copy = mkdtempSync(path.join(tmpdir(), 'orca-mutation-'))
  try {
    for (const rel of files) {
      mkdirSync(path.dirname(path.join(copy, rel)), {recursive: true})
      cpSync(path.join(root, rel), path.join(copy, rel))
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'))
    const source = readFileSync(path.join(copy, file), 'utf8')
    if (source.split(rule).length !== 2) throw new Error(`${name}: the rule's code is not found once in ${file}; update this script`)
    writeFileSync(path.join(copy, file), source.replace(rule, disabled))
    const run = spawnSync('npx', ['vitest', 'run', 'test/engine/cache/cached-equals-cold.test.ts'], {cwd: copy, encoding: 'utf8', env: {...process.env, CI: '1'}})
    const output = `${run.stdout}\n${run.stderr}`
    // The test names the first failing sequence (a random one by its seed, or a directed case), its
    // step and the kind of edit made in it; any other failure (a timeout, a crash) says nothing about
    // the rule and is reported as such.
    const seed = /(?:seed (\d+)|directed case) \(([^)]+)\), step (\d+) \[([^\]]+)\]/.exec(output)
    const caught = run.status !== 0 && seed !== null
    if (run.status !== 0 && !seed) throw new Error(`${name}: the property test failed without naming a step:\n${output.trim().split('\n').slice(-15).join('\n')}`)
    const where = seed ? `${seed[4]} (${seed[1] ? `seed ${seed[1]}` : 'directed case'}, ${seed[2]}, step ${seed[3]})` : ''
    results.push({name, caught, where})
    console.log(`${caught ? 'caught  ' : 'SURVIVED'} ${name}${where ? ` by ${where}` : ''}`)
  } finally {
    rmSync(copy, {recursive: true, force: true})
  }
}
console.log(`\n| rule disabled | caught by (first failing step) |\n| --- | --- |`)
for (const r of results) console.log(`| ${r.name} | ${r.caught ? r.where : '**not caught**'} |`)
process.exit(results.every((r) => r.caught) ? 0 : 1)
