import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/** `templates/` at the package root: three levels up from both src/engine/init and dist/engine/init. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url))

/** Name and version of the orca package running (its package.json, beside `templates/`). */
export const ORCA_PACKAGE = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {name: string; version: string}

/** Values a template refers to: strings are substituted, booleans drive `if`/`unless` sections. */
export type TemplateContext = Record<string, string | boolean | undefined>

// `<% name %>` substitutes; `<% if name %>…<% end %>` and `<% unless name %>…<% end %>` nest.
// Not `{{ }}`: GitHub Actions expressions use those and must pass through untouched.
// A section tag alone on its line leaves no blank line (nor its indentation) behind.
const STANDALONE_SECTION_TAG = /^[ \t]*(<%\s*(?:(?:if|unless)\s+[A-Za-z]\w*|end)\s*%>)[ \t]*\n/gm
const TAG = /<%\s*(?:(if|unless)\s+([A-Za-z][\w]*)|(end)|([A-Za-z][\w]*))\s*%>/g

/** Renders a template; a referenced name missing from the context is a bug in orca, so it throws. */
export function renderTemplate(template: string, context: TemplateContext, name = 'template'): string {
  template = template.replace(STANDALONE_SECTION_TAG, '$1')
  const out: string[] = []
  // Each frame: does this section print?
  const stack: boolean[] = []
  let at = 0
  const printing = (): boolean => stack.every(Boolean)
  for (const match of template.matchAll(TAG)) {
    if (printing()) out.push(template.slice(at, match.index))
    at = match.index + match[0].length
    const [, section, sectionName, end, variable] = match
    if (section) {
      const value = context[sectionName!]
      stack.push(section === 'if' ? Boolean(value) : !value)
    } else if (end) {
      if (stack.length === 0) throw new Error(`${name}: <% end %> without a section`)
      stack.pop()
    } else if (printing()) {
      const value = context[variable!]
      if (typeof value !== 'string') throw new Error(`${name}: no string value for <% ${variable} %>`)
      out.push(value)
    }
  }
  if (stack.length > 0) throw new Error(`${name}: a section is not closed with <% end %>`)
  if (printing()) out.push(template.slice(at))
  return out.join('')
}

const cache = new Map<string, string>()

/** Reads `templates/<relativePath>` (cached: templates do not change while orca runs). */
export function readTemplate(relativePath: string): string {
  let text = cache.get(relativePath)
  if (text === undefined) {
    text = readFileSync(`${TEMPLATES_DIR}${relativePath}`, 'utf8')
    cache.set(relativePath, text)
  }
  return text
}
