/**
 * GitHub Actions' `${{ … }}` expressions: in a job's `if` (orca's if language is GitHub's, less
 * most functions and contexts), and inside run lines and env values (replaced by variables).
 */

/** What a context reference becomes in orca's if, or undefined when orca cannot read it. */
export type ContextMap = (reference: string) => string | undefined

const TOKEN = /\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|(==|!=|<=|>=|&&|\|\||[!<>()[\],])|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*|\[[^\]]*\])*))/y

export interface TranslatedIf {
  expression?: string
  /** Why it could not be translated. */
  problem?: string
  variables: string[]
}

/** Translates a GitHub `if:`; status functions and ==, != pass through; other functions make it untranslatable. */
export function translateGithubIf(text: string, mapContext: ContextMap): TranslatedIf {
  const body = text.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1').trim()
  const out: string[] = []
  const variables: string[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < body.length) {
    if (/^\s*$/.test(body.slice(TOKEN.lastIndex))) break
    const at = TOKEN.lastIndex
    const m = TOKEN.exec(body)
    if (!m || m.index !== at) return {problem: 'cannot read the expression', variables}
    const [, string, number, op, name] = m
    if (string !== undefined || number !== undefined) out.push((string ?? number)!)
    else if (op !== undefined) {
      if (['<', '>', '<=', '>=', '[', ']', ','].includes(op)) return {problem: `${op} has no equivalent in orca's if`, variables}
      out.push(op)
    } else {
      const next = body.slice(TOKEN.lastIndex).trimStart()
      if (next.startsWith('(')) {
        if (!['success', 'failure', 'always', 'cancelled'].includes(name!)) return {problem: `${name}() has no equivalent in orca's if`, variables}
        out.push(name!)
        continue
      }
      if (['true', 'false', 'null'].includes(name!)) {
        out.push(name!)
        continue
      }
      const mapped = mapContext(name!)
      if (mapped === undefined) return {problem: `${name} is not known outside GitHub Actions`, variables}
      const variable = /^env\.(.+)$/.exec(mapped)
      if (variable) variables.push(variable[1]!)
      out.push(mapped)
    }
  }
  const expression = out.join(' ').replace(/! /g, '!').replace(/\( /g, '(').replace(/ \)/g, ')').replace(/ \(/g, '(').replace(/(&&|\|\||==|!=)\(/g, '$1 (')
  return {expression, variables}
}

/** The status function an `if` amounts to, when it is nothing else (`always()`, `${{ failure() }}`, `!cancelled()`). */
export function statusOnly(text: string): 'always' | 'on_failure' | 'on_success' | undefined {
  const body = text.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1').replace(/\s+/g, '')
  if (body === 'always()' || body === '!cancelled()') return 'always'
  if (body === 'failure()') return 'on_failure'
  if (body === 'success()') return 'on_success'
  return undefined
}
