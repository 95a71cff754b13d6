// Bundles `orca run`'s code path (dist/cli/fast-run.js and what it imports) into dist/fast/, so
// bin/run.cjs starts it from a handful of files instead of ~250 modules; see docs/performance.md.
// Runs after tsc in `npm run build`. Lazily imported parts stay lazy (split into chunks); packages
// that only a cache miss or the live view needs stay external and load from node_modules as usual.
import {Buffer} from 'node:buffer'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {sep} from 'node:path'

import {build} from 'esbuild'

// The same code path as one CommonJS file, dist/fast/run.cjs: bin/run.cjs compiles it with V8's code
// cache (vm.Script's cachedData), which Node.js 20 offers for scripts only, never for ES modules. Its
// lazily imported parts are lazily initialised functions in the same file: compiled only when called.
// The live view's packages (ink, react) are ES modules that require() cannot load on Node.js 20: a run
// that may show the live view starts from the ES module bundle above instead (see bin/run.cjs).
const CJS = process.env.OUT
await build({
  entryPoints: ['dist/cli/fast-run.js'],
  outfile: CJS,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['ink', 'react', 'react/*', '@oclif/core', 'typescript', '@aws-sdk/client-s3'],
  // bin/run.cjs passes the file's URL and an import() of its own (a script compiled by vm cannot import).
  define: {'import.meta.url': '__orcaModuleUrl'},
  // No comments or indentation: a third less to read at every start, and the file ASCII only (esbuild
  // escapes every other character outside comments), which bin/run.cjs reads as latin1, the fast way.
  minifyWhitespace: true,
  minifyIdentifiers: process.env.MIN_ID === '1',
  minifySyntax: process.env.MIN_SYN === '1',
  keepNames: true,
  plugins: [lazyOptionalParts()],
  legalComments: 'none',
  logLevel: 'warning',
})
// cosmiconfig's import(href) loads a JavaScript config file by its URL.
esModuleImports(CJS, ['"@aws-sdk/client-s3"', '"typescript"', 'href', 'r'])

/**
 * Points the CommonJS bundle's import() of ES module packages at `__orcaImport` (bin/run.cjs's own
 * import()), and fails the build if any other import() is left: in a vm script it would throw.
 */
function esModuleImports(file, specifiers) {
  let text = readFileSync(file, 'utf8')
  for (const specifier of specifiers) text = text.replaceAll(`import(${specifier})`, `__orcaImport(${specifier})`)
  // `{import('./x.js').T}` is a type in a JSDoc comment, not a call.
  const left = text.match(/(?<![{.\w])import\((?!\))[^)]{0,80}\)/g) ?? []
  if (left.length > 0) throw new Error(`${file}: import() that bin/run.cjs cannot serve: ${left.join(', ')}`)
  if (!Buffer.from(text, 'latin1').equals(Buffer.from(text, 'utf8'))) throw new Error(`${file}: a character outside ASCII; bin/run.cjs reads the file as latin1`)
  writeFileSync(file, text)
}

/**
 * dockerode is bundled (its ~200 modules cost a job run most of a second under load), but two of its
 * parts orca's run path never calls load only when called, from node_modules: the BuildKit session
 * (gRPC and protobufjs; orca builds with the classic builder) and the ssh:// transport (ssh2; only for
 * an engine reached over ssh). Each is required at the top of its file, hence a stub that requires it on
 * the first call.
 */
function lazyOptionalParts() {
  const lazy = [
    {importer: `${sep}dockerode${sep}lib${sep}docker.js`, path: './session', module: 'dockerode/lib/session.js'},
    {importer: `${sep}docker-modem${sep}lib${sep}modem.js`, path: './ssh', module: 'docker-modem/lib/ssh.js'},
  ]
  return {
    name: 'lazy-optional-parts',
    setup(build) {
      build.onResolve({filter: /^\.\/(session|ssh)$/}, (args) => {
        const part = lazy.find((l) => args.path === l.path && args.importer.endsWith(l.importer))
        return part === undefined ? undefined : {path: part.module, namespace: 'lazy-part'}
      })
      // The stub's own require goes to node_modules at run time.
      build.onResolve({filter: /.*/, namespace: 'lazy-part'}, (args) => ({path: args.path, external: true}))
      build.onLoad({filter: /.*/, namespace: 'lazy-part'}, (args) => ({
        contents: `module.exports = function () { return require(${JSON.stringify(args.path)}).apply(this, arguments) }`,
        loader: 'js',
      }))
    },
  }
}
