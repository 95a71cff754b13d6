import {OrcaError} from '../errors.js'

// Docker's image reference grammar, as distribution/reference (regexp.go) defines it:
//   reference := name [":" tag] ["@" digest];  name := [domain "/"] path-component ["/" path-component]*
const ALPHANUMERIC = '[a-z0-9]+'
const SEPARATOR = '(?:[._]|__|[-]+)'
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]'
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'

/** Docker refuses longer names (host and path, without tag and digest). */
export const MAX_IMAGE_NAME_LENGTH = 255

// Some split of the reference into name (at most 255 characters) and `:tag`/`@digest`: of a reference the
// grammar accepts, only the true one qualifies (a name's only ':' is its port, which a '/' follows).
const NAME_LENGTH = `(?=[-a-zA-Z0-9._/:\\[\\]]{1,${MAX_IMAGE_NAME_LENGTH}}(?::${TAG})?(?:@|$))`

/** An image reference (`[host[:port]/]path[:tag][@digest]`); also the pattern of `image` in the JSON Schemas. */
export const IMAGE_REFERENCE_PATTERN = `^${NAME_LENGTH}${NAME}(?::${TAG})?(?:@${DIGEST})?$`

/** Longer references are refused before any pattern runs on them (a name, a 128-character tag, a sha512 digest fit). */
export const MAX_IMAGE_REFERENCE_LENGTH = 512

const PARTS = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`)

const EXAMPLES = 'e.g. "node:20", "ghcr.io/org/tool:1.2" or "busybox@sha256:<64 hex digits>"'

/** Why `ref` is not an image reference Docker accepts, in words; undefined when it is one. */
export function imageReferenceProblem(ref: string): string | undefined {
  if (ref.length > MAX_IMAGE_REFERENCE_LENGTH) return `is ${ref.length} characters long; at most ${MAX_IMAGE_REFERENCE_LENGTH} are allowed`
  const parts = PARTS.exec(ref)
  if (parts) {
    const name = parts[1] ?? ''
    return name.length > MAX_IMAGE_NAME_LENGTH ? `has a name of ${name.length} characters; at most ${MAX_IMAGE_NAME_LENGTH} are allowed` : undefined
  }
  if (ref === '') return 'is empty'
  const odd = /[^\x21-\x7e]/.exec(ref)
  if (odd) return `contains ${describeCharacter(odd[0])}`
  const [beforeDigest = '', digest] = splitOnce(ref, '@')
  if (digest !== undefined && !new RegExp(`^${DIGEST}$`).test(digest)) return `has a malformed digest "${digest}"; expected an algorithm and hex digits like "sha256:<64 hex digits>"`
  // The last ':' after the last '/' starts the tag; an earlier one is a registry's port.
  const lastSlash = beforeDigest.lastIndexOf('/')
  const tagColon = beforeDigest.indexOf(':', lastSlash + 1)
  const name = tagColon === -1 ? beforeDigest : beforeDigest.slice(0, tagColon)
  const tag = tagColon === -1 ? undefined : beforeDigest.slice(tagColon + 1)
  if (tag !== undefined && !new RegExp(`^${TAG}$`).test(tag)) {
    return `has an invalid tag "${tag}"; a tag is 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`
  }
  const components = name.split('/')
  if (components.some((c) => c === '')) return 'has an empty path component (a leading, trailing or doubled "/")'
  if (components.some((c) => c === '.' || c === '..')) return 'has a "." or ".." path component'
  const path = new RegExp(`^${DOMAIN_AND_PORT}$`).test(components[0] ?? '') && components.length > 1 ? components.slice(1) : components
  if (path.some((c) => c !== c.toLowerCase())) return 'has uppercase letters in its repository path (only a registry host may have them)'
  const bad = path.find((c) => !new RegExp(`^${PATH_COMPONENT}$`).test(c))
  if (bad !== undefined) {
    return `has an invalid path component "${bad}"; each is lowercase letters and digits, separated by ".", "_", "__" or "-"`
  }
  return 'is not an image reference'
}

/** The message for a refused reference, naming it (shortened) and showing what one looks like. */
export function imageReferenceMessage(ref: string, problem: string): string {
  return `invalid image reference ${showReference(ref)}: it ${problem}; expected ${EXAMPLES}`
}

/** Throws a config error (exit 2) unless `ref` is an image reference; `where` says where it came from. */
export function assertImageReference(ref: string, where: string): void {
  const problem = imageReferenceProblem(ref)
  if (problem !== undefined) throw new OrcaError('config', `${where}: ${imageReferenceMessage(ref, problem)}`)
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

function describeCharacter(char: string): string {
  if (char === ' ') return 'a space'
  if (char === '\0') return 'a NUL byte'
  const code = char.codePointAt(0) ?? 0
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`
  return `the character ${JSON.stringify(char)}, which is not allowed`
}

function showReference(ref: string): string {
  const text = JSON.stringify(ref)
  return text.length > 80 ? `${text.slice(0, 76)}..."` : text
}
