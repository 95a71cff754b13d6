/**
 * The expressions of a job's `if:` (docs/jobs-yml.md, "Conditions"): GitHub Actions' syntax, cut down to
 * what a condition needs. `${{ … }}` around the whole expression is optional.
 *
 *   expr    := and ('||' and)*
 *   and     := unary ('&&' unary)*
 *   unary   := '!' unary | compare
 *   compare := primary (('==' | '!=') primary)?
 *   primary := '(' expr ')' | 'string' | number | true | false | null | name '(' ')' | name ('.' name)*
 *
 * Names are `env.NAME`, `matrix.NAME` and `needs.JOB.result`; functions `success()`, `failure()`,
 * `always()` and `cancelled()`. Offsets are 0-based positions in the text given to `parseExpression`.
 */

export type Literal = string | number | boolean | null

export type Expression =
  | {kind: 'literal'; value: Literal; start: number; end: number}
  | {kind: 'ref'; path: string[]; start: number; end: number}
  | {kind: 'call'; name: string; start: number; end: number}
  | {kind: 'not'; operand: Expression; start: number; end: number}
  | {kind: 'binary'; op: '&&' | '||' | '==' | '!='; left: Expression; right: Expression; start: number; end: number}

/** A problem in an expression, at `offset` in its text. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message)
    this.name = 'ExpressionError'
  }
}

/** The functions a condition may call: the state of the job's needs, as in GitHub Actions. */
export const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'] as const
export type StatusFunction = (typeof STATUS_FUNCTIONS)[number]

/** `needs.JOB.result`, as GitHub Actions spells the results. */
export const RESULTS = ['success', 'failure', 'cancelled', 'skipped'] as const
export type NeedResult = (typeof RESULTS)[number]

type Token =
  | {type: 'op'; value: '(' | ')' | '!' | '!=' | '==' | '&&' | '||' | '.'; start: number; end: number}
  | {type: 'string'; value: string; start: number; end: number}
  | {type: 'number'; value: number; start: number; end: number}
  | {type: 'name'; value: string; start: number; end: number}
  | {type: 'end'; start: number; end: number}

const OPERATORS = ['!=', '==', '&&', '||', '(', ')', '!', '.'] as const
const NAME = /[A-Za-z_][A-Za-z0-9_-]*/y
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?/y
const MAX_LENGTH = 4096
const MAX_DEPTH = 64

/** The text between `${{` and `}}` when the whole condition is wrapped in them, with its offset; else the text itself. */
export function unwrapExpression(text: string): {text: string; offset: number} {
  const wrapped = /^(\s*\$\{\{)([\s\S]*)\}\}\s*$/.exec(text)
  return wrapped ? {text: wrapped[2]!, offset: wrapped[1]!.length} : {text, offset: 0}
}

/** Parses a condition; throws ExpressionError with the offset of the first problem. */
export function parseExpression(text: string): Expression {
  if (text.length > MAX_LENGTH) throw new ExpressionError(`the expression is ${text.length} characters long; the limit is ${MAX_LENGTH}`, 0)
  const tokens = tokenize(text)
  let at = 0
  let depth = 0
  const peek = (): Token => tokens[at]!
  const next = (): Token => tokens[at++]!
  const isOp = (token: Token, value: string): boolean => token.type === 'op' && token.value === value

  const binary = (op: '&&' | '||', operand: () => Expression): Expression => {
    let left = operand()
    while (isOp(peek(), op)) {
      next()
      const right = operand()
      left = {kind: 'binary', op, left, right, start: left.start, end: right.end}
    }
    return left
  }
  const expression = (): Expression => {
    if (++depth > MAX_DEPTH) throw new ExpressionError(`the expression is nested more than ${MAX_DEPTH} deep`, peek().start)
    const result = binary('||', () => binary('&&', unary))
    depth--
    return result
  }
  const unary = (): Expression => {
    const token = peek()
    if (isOp(token, '!')) {
      next()
      if (++depth > MAX_DEPTH) throw new ExpressionError(`the expression is nested more than ${MAX_DEPTH} deep`, token.start)
      const operand = unary()
      depth--
      return {kind: 'not', operand, start: token.start, end: operand.end}
    }
    return compare()
  }
  const compare = (): Expression => {
    const left = primary()
    const token = peek()
    if (token.type === 'op' && (token.value === '==' || token.value === '!=')) {
      next()
      const right = primary()
      return {kind: 'binary', op: token.value, left, right, start: left.start, end: right.end}
    }
    return left
  }
  const primary = (): Expression => {
    const token = next()
    switch (token.type) {
      case 'string':
      case 'number':
        return {kind: 'literal', value: token.value, start: token.start, end: token.end}
      case 'name': {
        if (token.value === 'true' || token.value === 'false') return {kind: 'literal', value: token.value === 'true', start: token.start, end: token.end}
        if (token.value === 'null') return {kind: 'literal', value: null, start: token.start, end: token.end}
        if (isOp(peek(), '(')) {
          next()
          const close = next()
          if (!isOp(close, ')')) throw new ExpressionError(`${token.value}() takes no arguments; expected ")"`, close.start)
          return {kind: 'call', name: token.value, start: token.start, end: close.end}
        }
        const path = [token.value]
        let end = token.end
        while (isOp(peek(), '.')) {
          next()
          const part = next()
          if (part.type !== 'name') throw new ExpressionError(`expected a name after "."`, part.start)
          path.push(part.value)
          end = part.end
        }
        return {kind: 'ref', path, start: token.start, end}
      }
      case 'op':
        if (token.value === '(') {
          const inner = expression()
          const close = next()
          if (!isOp(close, ')')) throw new ExpressionError(`expected ")" to close the "(" at column ${token.start + 1}`, close.start)
          return inner
        }
        throw new ExpressionError(`unexpected "${token.value}"; expected a value, a name or "("`, token.start)
      case 'end':
        throw new ExpressionError('the expression ends too early; expected a value, a name or "("', token.start)
    }
  }

  const result = expression()
  const rest = peek()
  if (rest.type !== 'end') throw new ExpressionError(`unexpected ${describeToken(rest, text)}; expected "&&", "||", "==", "!=" or the end`, rest.start)
  return result
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < text.length) {
    const char = text[at]!
    if (/\s/.test(char)) {
      at++
      continue
    }
    if (char === "'") {
      // GitHub's string literals: single quotes, a quote inside is written twice.
      let value = ''
      let end = at + 1
      for (;;) {
        if (end >= text.length) throw new ExpressionError('unterminated string; strings are written in single quotes', at)
        if (text[end] === "'") {
          if (text[end + 1] === "'") {
            value += "'"
            end += 2
            continue
          }
          break
        }
        value += text[end]
        end++
      }
      tokens.push({type: 'string', value, start: at, end: end + 1})
      at = end + 1
      continue
    }
    if (char === '"') throw new ExpressionError(`strings are written in single quotes ('…'), not double quotes`, at)
    NUMBER.lastIndex = at
    const number = NUMBER.exec(text)
    if (number) {
      tokens.push({type: 'number', value: Number(number[0]), start: at, end: at + number[0].length})
      at += number[0].length
      continue
    }
    const op = OPERATORS.find((o) => text.startsWith(o, at))
    if (op !== undefined) {
      tokens.push({type: 'op', value: op, start: at, end: at + op.length})
      at += op.length
      continue
    }
    NAME.lastIndex = at
    const name = NAME.exec(text)
    if (name) {
      tokens.push({type: 'name', value: name[0], start: at, end: at + name[0].length})
      at += name[0].length
      continue
    }
    const hint = char === '=' ? '; compare with "=="' : char === '&' || char === '|' ? `; write "${char}${char}"` : ''
    throw new ExpressionError(`unexpected character "${char}"${hint}`, at)
  }
  tokens.push({type: 'end', start: text.length, end: text.length})
  return tokens
}

function describeToken(token: Token, text: string): string {
  return token.type === 'end' ? 'end' : `"${text.slice(token.start, token.end)}"`
}

/** What a condition may refer to: the job's matrix variables (undefined: the job has no matrix) and the jobs it needs. */
export interface ExpressionScope {
  matrix?: ReadonlySet<string>
  needs: ReadonlySet<string>
}

/** Every name in the expression that the scope does not offer (unknown contexts, variables, needs, functions). */
export function checkExpression(expression: Expression, scope: ExpressionScope): ExpressionError[] {
  const problems: ExpressionError[] = []
  visit(expression, (node) => {
    if (node.kind === 'call') {
      if (!(STATUS_FUNCTIONS as readonly string[]).includes(node.name)) {
        problems.push(new ExpressionError(`unknown function ${node.name}(); expected ${STATUS_FUNCTIONS.map((f) => `${f}()`).join(', ')}`, node.start))
      }
      return
    }
    if (node.kind !== 'ref') return
    const problem = refProblem(node.path, scope)
    if (problem) problems.push(new ExpressionError(problem, node.start))
  })
  return problems
}

function refProblem(path: string[], scope: ExpressionScope): string | undefined {
  const [context, name, property, ...rest] = path
  const shown = path.join('.')
  switch (context) {
    case 'env':
      return name === undefined || property !== undefined ? `expected env.NAME, got "${shown}"` : undefined
    case 'matrix':
      if (name === undefined || property !== undefined) return `expected matrix.NAME, got "${shown}"`
      if (scope.matrix === undefined) return `"${shown}": the job has no matrix`
      if (!scope.matrix.has(name)) return `unknown matrix variable "${name}"; the matrix has ${list([...scope.matrix])}`
      return undefined
    case 'needs':
      if (name === undefined || property !== 'result' || rest.length > 0) return `expected needs.JOB.result, got "${shown}"`
      if (!scope.needs.has(name)) {
        return scope.needs.size === 0 ? `"${shown}": the job needs no job` : `"${name}" is not in the job's needs (${list([...scope.needs])})`
      }
      return undefined
    default:
      return `unknown name "${context}"; expected env.NAME, matrix.NAME, needs.JOB.result or a function such as failure()`
  }
}

function list(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ')
}

function visit(expression: Expression, fn: (node: Expression) => void): void {
  const stack = [expression]
  while (stack.length > 0) {
    const node = stack.pop()!
    fn(node)
    if (node.kind === 'not') stack.push(node.operand)
    else if (node.kind === 'binary') stack.push(node.left, node.right)
  }
}

/**
 * True when the expression decides on the needs' states itself: it calls success(), failure(), always()
 * or cancelled(), or reads needs.JOB.result. Otherwise it applies on top of `when` (default on_success);
 * GitHub Actions adds success() to such an `if` too, but also to one that reads needs.JOB.result, which
 * then never sees a failure.
 */
export function decidesOnNeeds(expression: Expression): boolean {
  let found = false
  visit(expression, (node) => {
    if (node.kind === 'call' || (node.kind === 'ref' && node.path[0] === 'needs')) found = true
  })
  return found
}

/** What an expression is evaluated against when its job becomes ready. */
export interface EvaluationContext {
  env: Readonly<Record<string, string>>
  matrix: Readonly<Record<string, string>>
  needs: Readonly<Record<string, NeedResult>>
  /** success(): every need succeeded. */
  success: boolean
  /** failure(): a job the job depends on, directly or not, failed. */
  failure: boolean
}

/** Evaluates a checked expression; the result is its truthiness (false, null, '' and 0 are false). */
export function evaluateExpression(expression: Expression, context: EvaluationContext): boolean {
  return truthy(valueOf(expression, context))
}

function valueOf(node: Expression, context: EvaluationContext): Literal {
  switch (node.kind) {
    case 'literal':
      return node.value
    case 'ref':
      return lookup(node.path, context)
    case 'call':
      if (node.name === 'success') return context.success
      if (node.name === 'failure') return context.failure
      // A cancelled run starts no job, so a job that evaluates a condition was not cancelled.
      return node.name === 'always'
    case 'not':
      return !truthy(valueOf(node.operand, context))
    case 'binary':
      switch (node.op) {
        case '&&':
          return truthy(valueOf(node.left, context)) && truthy(valueOf(node.right, context))
        case '||':
          return truthy(valueOf(node.left, context)) || truthy(valueOf(node.right, context))
        case '==':
          return comparable(valueOf(node.left, context)) === comparable(valueOf(node.right, context))
        case '!=':
          return comparable(valueOf(node.left, context)) !== comparable(valueOf(node.right, context))
      }
  }
}

function lookup(path: string[], context: EvaluationContext): Literal {
  const [scope, name = ''] = path
  const table = scope === 'env' ? context.env : scope === 'matrix' ? context.matrix : context.needs
  return Object.hasOwn(table, name) ? (table[name] ?? null) : null
}

/** Values compare as text: a variable's value is a string, and `matrix.node == 20` should hold for "20". */
function comparable(value: Literal): string {
  return value === null ? '' : String(value)
}

function truthy(value: Literal): boolean {
  return value !== false && value !== null && value !== '' && value !== 0
}
