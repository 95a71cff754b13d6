// Preloaded with `node --import` by tests: appends the URL of every module node resolves through its
// ES module loader (static imports and import() of packages) to the file named by $ORCA_TRACE_IMPORTS.
import {register} from 'node:module'

const hooks = `
import {appendFileSync} from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(process.env.ORCA_TRACE_IMPORTS, result.url + '\\n')
  return result
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
