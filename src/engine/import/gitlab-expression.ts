/**
 * GitLab's `rules: if:` expressions ($VAR == "text", =~ /regex/, &&, ||, parentheses) turned into
 * orca's `if:` language (env.VAR == 'text'). What orca cannot say (most regular expressions) becomes
 * a constant with a note, so the caller can report it.
 */

type Token = {kind: 'var' | 'string' | 'regex' | 'null' | 'op' | 'paren'; text: string}

const TOKEN = /\s*(?:\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\/(?:[^/\\]|\\.)*\/[a-z]*)|(null)\b|(==|!=|=~|!~|&&|\|\|)|([()]))/y

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break
    const at = TOKEN.lastIndex
    const m = TOKEN.exec(text)
    if (!m || m.index !== at) return undefined
    if (m[1] !== undefined) tokens.push({kind: 'var', text: m[1]})
    else if (m[2] !== undefined) tokens.push({kind: 'string', text: m[2].replace(/\\(.)/g, '$1')})
    else if (m[3] !== undefined) tokens.push({kind: 'string', text: m[3].replace(/\\(.)/g, '$1')})
    else if (m[4] !== undefined) tokens.push({kind: 'regex', text: m[4]})
    else if (m[5] !== undefined) tokens.push({kind: 'null', text: 'null'})
    else if (m[6] !== undefined) tokens.push({kind: 'op', text: m[6]})
    else tokens.push({kind: 'paren', text: m[7]!})
  }
  return tokens
}

/** The result: orca's expression, the variables it reads, and what had to be guessed. */
export interface TranslatedCondition {
  expression: string
  variables: string[]
  notes: string[]
}

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`

/** A regular expression that only says "is exactly this text" (`/^main$/`): the text; else undefined. */
function literalOfRegex(regex: string): string | undefined {
  const m = /^\/\^((?:[A-Za-z0-9_\-./]|\\[./-])+)\$\/$/.exec(regex)
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined
}

/** Translates one GitLab expression; undefined when it does not parse. */
export function translateGitlabExpression(text: string): TranslatedCondition | undefined {
  const tokens = tokenize(text)
  if (!tokens || tokens.length === 0) return undefined
  const variables = new Set<string>()
  const notes: string[] = []
  let i = 0
  const peek = (): Token | undefined => tokens[i]
  const operand = (): string | undefined => {
    const t = tokens[i++]
    if (!t) return undefined
    if (t.kind === 'var') {
      variables.add(t.text)
      return `env.${t.text}`
    }
    if (t.kind === 'string') return quote(t.text)
    if (t.kind === 'null') return "''"
    return undefined
  }
  const comparison = (): string | undefined => {
    const t = peek()
    if (t?.kind === 'paren' && t.text === '(') {
      i++
      const inner = disjunction()
      if (tokens[i]?.text !== ')') return undefined
      i++
      return `(${inner})`
    }
    const left = operand()
    if (left === undefined) return undefined
    const op = peek()
    if (op?.kind !== 'op' || !['==', '!=', '=~', '!~'].includes(op.text)) return `${left} != ''`
    i++
    const rightToken = tokens[i]
    if (op.text === '=~' || op.text === '!~') {
      i++
      if (rightToken?.kind !== 'regex') return undefined
      const literal = literalOfRegex(rightToken.text)
      if (literal !== undefined) return `${left} ${op.text === '=~' ? '==' : '!='} ${quote(literal)}`
      notes.push(`${op.text} ${rightToken.text}: orca's if has no regular expressions; taken as ${op.text === '=~' ? 'not matching (false)' : 'not matching (true)'}`)
      return op.text === '=~' ? 'false' : 'true'
    }
    const right = operand()
    return right === undefined ? undefined : `${left} ${op.text} ${right}`
  }
  const conjunction = (): string | undefined => {
    const parts = [comparison()]
    while (peek()?.text === '&&') {
      i++
      parts.push(comparison())
    }
    return parts.includes(undefined) ? undefined : parts.join(' && ')
  }
  function disjunction(): string | undefined {
    const parts = [conjunction()]
    while (peek()?.text === '||') {
      i++
      parts.push(conjunction())
    }
    return parts.includes(undefined) ? undefined : parts.join(' || ')
  }
  const expression = disjunction()
  if (expression === undefined || i !== tokens.length) return undefined
  return {expression, variables: [...variables], notes}
}

/** `!(a)` without doubling parentheses orca does not need. */
export function negate(expression: string): string {
  if (expression === 'true') return 'false'
  if (expression === 'false') return 'true'
  return `!(${expression})`
}

/** `a && b` of parts, dropping `true` and collapsing on `false`. */
export function allOf(parts: string[]): string {
  const kept = parts.filter((p) => p !== 'true')
  if (kept.includes('false')) return 'false'
  if (kept.length === 0) return 'true'
  return kept.map((p) => (kept.length > 1 && p.includes('||') && !/^!?\(.*\)$/.test(p) ? `(${p})` : p)).join(' && ')
}

/** `a || b` of parts, dropping `false` and collapsing on `true`. */
export function anyOf(parts: string[]): string {
  const kept = parts.filter((p) => p !== 'false')
  if (kept.includes('true')) return 'true'
  if (kept.length === 0) return 'false'
  return kept.join(' || ')
}
