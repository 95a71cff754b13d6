import {existsSync, lstatSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import * as path from 'node:path'

/**
 * How a project in a git work tree names its files (docs/caching.md, "Committed files"): by their git
 * blob ids, computed by git (`git hash-object`, with collision detection), and where git's index can
 * vouch for a committed file's bytes, taken from it without reading the file.
 */
export interface CommittedFiles {
  /** The index file (`.git/index`), when a committed file's bytes are its object's; absent: every file is hashed by git. */
  index?: string
  /** The project's folder relative to the top of the work tree, `/`-separated, ending in `/` ('' at the top). */
  prefix: string
}

/** Variables that move git's repository or index elsewhere, or add configuration (`git -c` sets them for hooks): git's index is not read then. */
const MOVING_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_ATTR_SOURCE']

/**
 * How the project's files are named (undefined: by their SHA-256, as outside git). In a git work tree
 * (`top`) they are named by the git blob ids (SHA-1) of their bytes, unless `ORCA_GIT_IDS=0`. git's
 * index is used to skip reading committed files only where a committed file's bytes are exactly its
 * object's, with SHA-1 ids (the convertsNothing rules): where git converts nothing between the repository and the
 * work tree (`.gitattributes` files, `info/attributes`, a global or system attributes file: line
 * endings, filters such as Git LFS, working-tree encodings; `core.autocrlf` on), where the
 * configuration includes no other file (not followed here) and no variable moves the repository or
 * adds configuration. `files` is the project's listing (a `.gitattributes` in it counts); the folders
 * from the project up to the top are looked at too.
 */
export function committedFiles(projectDir: string, top: string, files: readonly string[], env: NodeJS.ProcessEnv): CommittedFiles | undefined {
  if (env.ORCA_GIT_IDS === '0') return undefined
  const gitDir = path.join(top, '.git')
  const relative = path.relative(top, projectDir)
  const prefix = relative === '' ? '' : `${relative.split(path.sep).join('/')}/`
  return indexTrusted(projectDir, top, gitDir, files, env) ? {index: path.join(gitDir, 'index'), prefix} : {prefix}
}

function indexTrusted(projectDir: string, top: string, gitDir: string, files: readonly string[], env: NodeJS.ProcessEnv): boolean {
  for (const name of MOVING_VARIABLES) if (env[name]) return false
  // A `.git` file (a linked worktree, a submodule's checkout) points elsewhere: not followed.
  if (!lstatSync(gitDir, {throwIfNoEntry: false})?.isDirectory()) return false
  for (const file of files) if (file === '.gitattributes' || file.endsWith('/.gitattributes')) return false
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.gitattributes'))) return false
    if (dir === top || dir === path.dirname(dir)) break
  }
  const home = env.HOME ?? homedir()
  const xdg = env.XDG_CONFIG_HOME || path.join(home, '.config')
  const attributes = [path.join(gitDir, 'info', 'attributes'), path.join(xdg, 'git', 'attributes'), '/etc/gitattributes']
  if (attributes.some((file) => existsSync(file))) return false
  // The configuration files git reads, where GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM and GIT_CONFIG_NOSYSTEM say.
  const global = env.GIT_CONFIG_GLOBAL ? [env.GIT_CONFIG_GLOBAL] : [path.join(home, '.gitconfig'), path.join(xdg, 'git', 'config')]
  const system = env.GIT_CONFIG_NOSYSTEM && env.GIT_CONFIG_NOSYSTEM !== '0' && env.GIT_CONFIG_NOSYSTEM !== 'false' ? [] : [env.GIT_CONFIG_SYSTEM || '/etc/gitconfig']
  const configs = [path.join(gitDir, 'config'), path.join(gitDir, 'config.worktree'), ...global, ...system]
  return configs.every((file) => convertsNothing(file))
}

/**
 * Whether a git configuration file (absent: yes) sets nothing that could make a committed file's
 * bytes differ from its object's: `core.autocrlf` other than false, an attributes file, another
 * object format, an include. Read as text, more strictly than git would: a name anywhere counts.
 */
export function convertsNothing(file: string): boolean {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return true
  }
  if (/attributesfile|objectformat|^\s*\[\s*include/im.test(text)) return false
  for (const match of text.matchAll(/^\s*autocrlf\b\s*(?:=\s*([^\s;#]*))?/gim)) {
    if (!/^(?:false|no|off|0)$/i.test(match[1] ?? '')) return false
  }
  return true
}
