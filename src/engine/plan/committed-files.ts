import {existsSync, lstatSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import * as path from 'node:path'

/** Where git's index is, for a project whose committed files may be named by their git object ids (docs/caching.md, "Committed files"). */
export interface CommittedFiles {
  /** The index file (`.git/index`). */
  index: string
  /** The project's folder relative to the top of the work tree, `/`-separated, ending in `/` ('' at the top). */
  prefix: string
}

/** Variables that move git's repository or index elsewhere, or add configuration (`git -c` sets them for hooks): orca does not follow them. */
const MOVING_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_ATTR_SOURCE']

/**
 * Whether a committed file's bytes are exactly its git object's, so that git's index can name them:
 * only where nothing converts bytes between the repository and the work tree. git converts where
 * attributes say (`.gitattributes` files, `info/attributes`, a global or system attributes file:
 * line endings, filters such as Git LFS, working-tree encodings) and where `core.autocrlf` is on;
 * a repository whose object ids are not SHA-1, a configuration that includes others (not followed
 * here) and variables that move the repository or add configuration are left alone too. Any of these,
 * and every file is read and hashed, as outside git. `files` is the project's listing (a
 * `.gitattributes` in it counts); the folders from the project up to the top are looked at too.
 */
export function committedFiles(projectDir: string, top: string, files: readonly string[], env: NodeJS.ProcessEnv): CommittedFiles | undefined {
  if (env.ORCA_GIT_IDS === '0') return undefined
  for (const name of MOVING_VARIABLES) if (env[name]) return undefined
  const gitDir = path.join(top, '.git')
  // A `.git` file (a linked worktree, a submodule's checkout) points elsewhere: not followed.
  if (!lstatSync(gitDir, {throwIfNoEntry: false})?.isDirectory()) return undefined
  for (const file of files) if (file === '.gitattributes' || file.endsWith('/.gitattributes')) return undefined
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.gitattributes'))) return undefined
    if (dir === top || dir === path.dirname(dir)) break
  }
  const home = env.HOME ?? homedir()
  const xdg = env.XDG_CONFIG_HOME || path.join(home, '.config')
  const attributes = [path.join(gitDir, 'info', 'attributes'), path.join(xdg, 'git', 'attributes'), '/etc/gitattributes']
  if (attributes.some((file) => existsSync(file))) return undefined
  // The configuration files git reads, where GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM and GIT_CONFIG_NOSYSTEM say.
  const global = env.GIT_CONFIG_GLOBAL ? [env.GIT_CONFIG_GLOBAL] : [path.join(home, '.gitconfig'), path.join(xdg, 'git', 'config')]
  const system = env.GIT_CONFIG_NOSYSTEM && env.GIT_CONFIG_NOSYSTEM !== '0' && env.GIT_CONFIG_NOSYSTEM !== 'false' ? [] : [env.GIT_CONFIG_SYSTEM || '/etc/gitconfig']
  const configs = [path.join(gitDir, 'config'), path.join(gitDir, 'config.worktree'), ...global, ...system]
  if (!configs.every((file) => convertsNothing(file))) return undefined
  const relative = path.relative(top, projectDir)
  return {index: path.join(gitDir, 'index'), prefix: relative === '' ? '' : `${relative.split(path.sep).join('/')}/`}
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
