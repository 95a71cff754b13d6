#!/usr/bin/env node
// Generates the reference pages that must not drift from the code:
//   docs/jobs-yml.md  from schemas/jobs.schema.json (the one source of truth of jobs.yml)
//   docs/cli.md       from oclif.manifest.json (built from src/commands by `npm run build`)
//   docs/architecture.md's picture of the folders from src/'s imports (scripts/import-graph.mjs)
// `node scripts/gen-docs.mjs` writes them; `--check` only compares (exit 1 when stale).
// test/docs/*.test.ts import the render functions and compare in memory.
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {architectureDiagram, folderGraph, sourceImports, withDiagram} from './import-graph.mjs'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const GENERATED = (source) => `<!-- Generated from ${source} by scripts/gen-docs.mjs: edit the source and run \`npm run docs\`. -->\n\n`

/** docs/jobs-yml.md: fixed prose around tables generated from the schema. */
export function jobsReference(schema) {
  const defs = schema.$defs
  const job = defs.job
  const stepObject = defs.step.oneOf.find((s) => s.type === 'object')
  return [
    GENERATED('schemas/jobs.schema.json'),
    JOBS_INTRO,
    '## Top level\n\n',
    table(rows(schema, schema.required ?? [])),
    '\n## Job\n\n',
    `${job.description}\n\n`,
    table(rows(job, job.required ?? [])),
    '\n## Step\n\n',
    `${defs.step.description}\n\n`,
    table(rows(stepObject, stepObject.required ?? [])),
    '\nBeware YAML\'s scalars: `- true` or `- 42` as a step is a boolean or a number, not a command; quote it.\n',
    '\n## Value types\n\n',
    termTable(defs),
    JOBS_OUTRO,
  ].join('')
}

const JOBS_INTRO = `# \`jobs.yml\` reference

\`jobs.yml\` (version 1) describes the jobs orca runs. It is validated against
[\`schemas/jobs.schema.json\`](../schemas/jobs.schema.json), which ships in the npm package. Point
your editor's YAML language server at it for completion and hints; \`orca init\` writes this line at
the top of the files it generates:

\`\`\`yaml
# yaml-language-server: $schema=./node_modules/${PACKAGE.name}/schemas/jobs.schema.json
\`\`\`

when the project's \`package.json\` lists ${PACKAGE.name} (the schema of the installed version, published
or not), else the copy published with the version that wrote the file:

\`\`\`yaml
# yaml-language-server: $schema=https://cdn.jsdelivr.net/npm/${PACKAGE.name}@${PACKAGE.version}/schemas/jobs.schema.json
\`\`\`

Check a file without running anything with \`orca validate [-f FILE]\`.

## Example

\`\`\`yaml
version: 1
image: busybox:1.36
env: { CI: "true" }
jobs:
  build:
    image: node:20-bookworm
    inputs: ["src/**", "package*.json"]
    env: { NODE_ENV: production }
    secrets: [NPM_TOKEN]
    timeout: 10m
    resources: { cpus: 2, memory: 1g, pids: 512 }
    volumes:
      npm-cache: /root/.npm
    steps:
      - npm ci
      - name: compile
        run: npm run build
        timeout: 5m
    artifacts: ["dist/**"]
  test:
    needs: [build]
    steps: [npm test]
  build-and-test:
    needs: [build, test]
\`\`\`

## Conventions

- **Names** (jobs) match \`^[a-z0-9][a-z0-9_-]*$\`: lowercase letters, digits, \`-\` and \`_\`.
- **Durations** are strings of number+unit parts: \`250ms\`, \`90s\`, \`5m\`, \`1h30m\`, \`7d\`.
- **Sizes** are \`512m\`, \`1g\`, \`1.5GiB\`, \`100kb\` (binary units, as Docker) or a number of bytes.
- **Globs** are relative; they may not be absolute nor climb out with \`../\`. In \`inputs\`, a glob
  starting with \`!\` excludes what it matches (a list of only exclusions starts from the default inputs).
- YAML anchors, aliases and merge keys (\`<<: *base\`) work. With its aliases expanded a file may hold at most
  200,000 values and 16 MiB of text (an alias bomb is refused before it is expanded), and an alias may not
  name a value that contains it. The file itself may be at most 1 MiB.

`

const JOBS_OUTRO = `
## Environment values

Values may be strings, numbers or booleans; orca turns them into strings (\`CI: true\` → \`"true"\`).
Precedence inside a step: step \`env\` > job \`env\` > top-level \`env\`.

## Checks beyond the schema

- every name in \`needs\` is a job of the file (a close match is suggested);
- \`needs\` form no cycle (reported as \`a -> b -> a\`);
- a job name appears once (YAML would silently keep the last);
- every job with steps has an image (its own, the top-level one, or the configured default);
- no \`inputs\` or \`artifacts\` glob is absolute or climbs out with \`../\`, nor can match no file the
  artifact store keeps: an empty segment (\`src//x\`), a \`.\` or \`..\` segment inside (\`a/./b\`), or a
  trailing \`/\` (write \`dist/**\` for everything under \`dist\`); a leading \`./\` is fine;
- no volume is mounted at \`/\`, and no two volumes of a job at one path;
- no value holds a NUL byte (\`"\\0"\` in YAML): no command, variable or path can.

Every problem is reported at once, one per line, as \`file:line:column path: message\`, e.g.

\`\`\`
jobs.yml:12:14 jobs.build.timeout: expected a duration like "10m", got "ten"
jobs.yml:15:13 jobs.test.needs[0]: unknown job "biuld"; did you mean "build"?
\`\`\`

and \`orca validate\` (like \`orca run\`) exits with code 2.
`

// What a $ref to one of the schema's $defs is called in the tables.
const TERMS = {
  name: 'job name',
  duration: 'duration',
  image: 'image',
  envName: 'variable name',
  env: 'environment',
  glob: 'glob',
  cleanup: 'cleanup policy',
  step: 'step',
  job: 'job',
}

function rows(objectSchema, required, prefix = '') {
  const out = []
  for (const [key, property] of Object.entries(objectSchema.properties ?? {})) {
    const name = `${prefix}${key}`
    if (key === 'jobs' && !prefix) {
      out.push([code(name), 'map of job name → job', required.includes(key) ? 'yes' : '', property.description])
      continue
    }
    out.push([code(name), typeOf(property), required.includes(key) ? 'yes' : '', describe(property)])
    if (property.type === 'object' && property.properties) out.push(...rows(property, property.required ?? [], `${name}.`))
  }
  return out
}

function describe(property) {
  return property.description ?? ''
}

function typeOf(s) {
  if (s.$ref) {
    const def = s.$ref.split('/').pop()
    return TERMS[def] ?? def
  }
  if ('const' in s) return code(JSON.stringify(s.const))
  if (s.enum) return s.enum.map(code).join(' \\| ')
  if (s.oneOf) return s.oneOf.map(typeOf).join(' or ')
  if (s.type === 'array') return `list of ${typeOf(s.items)}s`
  if (s.type === 'object' && s.properties) return 'object'
  if (s.type === 'object' && typeof s.additionalProperties === 'object') {
    const key = s.propertyNames ? (s.propertyNames.$ref ? typeOf(s.propertyNames) : 'name') : 'name'
    return `map of ${key} → ${typeOf(s.additionalProperties)}`
  }
  if (s.type === 'string' && s.pattern === '^/') return 'absolute path'
  if (s.type === 'string' && s.pattern) return 'size'
  if (Array.isArray(s.type)) return s.type.join(' \\| ')
  if (s.type === 'integer' && s.minimum !== undefined) return `integer ≥ ${s.minimum}`
  if (s.type === 'number' && s.exclusiveMinimum !== undefined) return `number > ${s.exclusiveMinimum}`
  return s.type ?? 'any'
}

function termTable(defs) {
  const out = [['term', 'meaning']]
  for (const [def, term] of Object.entries(TERMS)) {
    if (!defs[def] || def === 'job' || def === 'step') continue
    // A long pattern (the image reference grammar) says less than its description: the schema has it.
    const shown = defs[def].pattern && defs[def].pattern.length <= 80 ? defs[def].pattern : undefined
    const pattern = shown ? ` Pattern: \`${shown}\`.` : defs[def].pattern ? ' The schema checks it with a pattern.' : ''
    out.push([term, `${defs[def].description}${pattern}`])
  }
  return table(out.slice(1), out[0])
}

function table(body, header = ['key', 'type', 'required', 'meaning']) {
  const line = (cells) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|').replaceAll('\\\\|', '\\|').replaceAll('\n', ' ')).join(' | ')} |`
  return `${[line(header), line(header.map(() => '---')), ...body.map(line)].join('\n')}\n`
}

const code = (text) => `\`${text}\``

/** docs/cli.md: every command of the manifest with its summary, usage, arguments, flags and examples. */
export function cliReference(manifest, bin = 'orca') {
  const commands = Object.values(manifest.commands)
    .filter((c) => !c.hidden)
    .sort((a, b) => a.id.localeCompare(b.id))
  const name = (c) => `${bin} ${c.id.split(':').join(' ')}`
  const out = [GENERATED('the commands in src/commands (oclif.manifest.json)'), '# Command reference\n\n']
  out.push('Every command prints its own help with `--help`. Exit codes are the same everywhere: `0` success, `1` a job failed,\n')
  out.push('`2` usage or configuration error, `3` infrastructure error (Docker unreachable, image missing), `130` cancelled.\n\n')
  for (const c of commands) out.push(`- [\`${name(c)}\`](#${anchor(name(c))}) — ${c.summary ?? ''}\n`)
  for (const c of commands) {
    out.push(`\n## \`${name(c)}\`\n\n`)
    if (c.summary) out.push(`${c.summary}\n\n`)
    const args = Object.values(c.args ?? {})
    const flags = Object.values(c.flags ?? {}).filter((f) => !f.hidden)
    const usage = [name(c), ...args.map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}${c.strict === false ? '...' : ''}]`)), ...(flags.length > 0 ? ['[FLAGS]'] : [])]
    out.push('```\n', `${usage.join(' ')}\n`, '```\n\n')
    if (c.description) out.push(`${c.description.trim()}\n\n`)
    if (args.length > 0) {
      out.push('### Arguments\n\n')
      out.push(table(args.map((a) => [code(a.name.toUpperCase()), a.description ?? '', a.required ? 'yes' : '']), ['argument', 'meaning', 'required']))
      out.push('\n')
    }
    if (flags.length > 0) {
      out.push('### Flags\n\n')
      out.push(table(flags.map((f) => [code(flagName(f)), flagMeaning(f)]), ['flag', 'meaning']))
      out.push('\n')
    }
    const examples = (c.examples ?? []).map((e) => (typeof e === 'string' ? {command: e} : e))
    if (examples.length > 0) {
      out.push('### Examples\n\n')
      for (const e of examples) {
        if (e.description) out.push(`${e.description.replace(/[.:]$/, '')}:\n\n`)
        const command = e.command.replaceAll('<%= config.bin %>', bin).replaceAll('<%= command.id %>', c.id.split(':').join(' '))
        out.push('```bash\n', `${command}\n`, '```\n\n')
      }
    }
  }
  // Sections end with a blank line and start with one: keep one.
  return `${out.join('').replaceAll(/\n{3,}/g, '\n\n').trimEnd()}\n`
}

function flagName(f) {
  const long = `--${f.type === 'boolean' && f.allowNo ? `[no-]${f.name}` : f.name}${f.type === 'option' ? `=${f.helpValue ?? 'VALUE'}` : ''}`
  return f.char ? `-${f.char}, ${long}` : long
}

function flagMeaning(f) {
  const parts = [f.description ?? '']
  if (f.options) parts.push(`one of ${f.options.map(code).join(', ')}`)
  if (f.default !== undefined && f.default !== false) parts.push(`default ${code(Array.isArray(f.default) ? f.default.join(',') : f.default)}`)
  if (f.env) parts.push(`from ${code(f.env)} when not given`)
  // Descriptions written for --help may say it already.
  if (f.multiple && !/\brepeatable\b/i.test(f.description ?? '')) parts.push('repeatable')
  if (f.required) parts.push('required')
  return parts.filter(Boolean).join('; ')
}

const anchor = (heading) => heading.toLowerCase().replaceAll(' ', '-')

/** The generated pages with their content, rendered from the files in the repository. */
export function renderDocs(root = ROOT) {
  const read = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'))
  let manifest
  try {
    manifest = read('oclif.manifest.json')
  } catch {
    throw new Error('oclif.manifest.json is missing: run `npm run build` first (it generates the manifest from src/commands)')
  }
  return [
    {path: 'docs/jobs-yml.md', text: jobsReference(read('schemas/jobs.schema.json'))},
    {path: 'docs/cli.md', text: cliReference(manifest)},
    {path: 'docs/architecture.md', text: withDiagram(readFileSync(join(root, 'docs/architecture.md'), 'utf8'), architectureDiagram(folderGraph(sourceImports(root))))},
  ]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const {path, text} of renderDocs()) {
    let current = ''
    try {
      current = readFileSync(join(ROOT, path), 'utf8')
    } catch {
      // A missing page is stale.
    }
    if (current === text) continue
    if (check) {
      stale++
      console.error(`${path} is stale: run \`npm run docs\``)
    } else {
      writeFileSync(join(ROOT, path), text)
      console.log(`wrote ${path}`)
    }
  }
  process.exitCode = stale > 0 ? 1 : 0
}
