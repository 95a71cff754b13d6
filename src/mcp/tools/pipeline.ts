import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import * as z from 'zod'

import {explainTarget} from '../../engine/cache/explain-target.js'
import {formatExplanation} from '../../views/cache/explanation.js'
import {ConfigError} from '../../engine/errors.js'
import {nameTable} from '../../engine/name-table.js'
import {flattenExplanation, jobExplanationSchema, withoutEnvValues} from '../explanation.js'
import {boundedList, boundedText} from '../results.js'
import {registerOrcaTool, type ToolContext} from '../tool.js'
import {fileArgument, jobArgument} from './arguments.js'

/** Jobs and diagnostics listed at most in one answer. */
const MAX_JOBS = 500
const MAX_DIAGNOSTICS = 100

const diagnosticSchema = z.object({
  file: z.string(),
  line: z.number().optional(),
  column: z.number().optional(),
  path: z.string().describe('dotted path of the offending key, e.g. jobs.build.timeout; empty for the document'),
  message: z.string(),
})

export function registerPipelineTools(server: McpServer, context: ToolContext): void {
  registerOrcaTool(server, context, 'list_jobs', {
    title: 'List jobs and targets',
    description:
      'The jobs of the pipeline (jobs.yml) with what each runs: image, needs, steps, inputs, artifacts, cache use. `targets` are the jobs no other job needs: the usual things to run. Env values are not shown, only their names.',
    input: z.object({file: fileArgument}),
    output: z.object({
      file: z.string(),
      targets: z.array(z.string()),
      jobs: z.array(
        z.object({
          name: z.string(),
          image: z.string(),
          needs: z.array(z.string()),
          neededBy: z.array(z.string()),
          group: z.boolean().describe('no steps: succeeds when its needs do'),
          steps: z.array(z.string()).describe('step names'),
          inputs: z.array(z.string()).nullable().describe('input globs; null: every file of the project that is not ignored'),
          artifacts: z.array(z.string()),
          cache: z.boolean(),
          timeoutMs: z.number(),
          network: z.string(),
          env: z.array(z.string()).describe('names of the env variables set (values not shown)'),
          secrets: z.array(z.string()).describe("names of secrets copied from orca's environment"),
        }),
      ),
      jobsOmitted: z.number(),
    }),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args) {
      const {pipeline, file} = await context.project.load(args.file)
      const jobs = [...pipeline.jobs.values()]
      const neededBy = new Map(jobs.map((job) => [job.name, [] as string[]]))
      for (const job of jobs) for (const need of job.needs) neededBy.get(need)?.push(job.name)
      const targets = jobs.filter((job) => neededBy.get(job.name)!.length === 0).map((job) => job.name)
      const shown = boundedList(jobs, MAX_JOBS)
      const listed = shown.items.map((job) => ({
        name: job.name,
        image: job.image,
        needs: job.needs,
        neededBy: neededBy.get(job.name)!,
        group: job.steps.length === 0,
        steps: job.steps.map((step) => boundedText(step.name, 200)),
        inputs: job.inputs ?? null,
        artifacts: job.artifacts,
        cache: job.cache,
        timeoutMs: job.timeoutMs,
        network: job.network,
        env: Object.keys(job.env),
        secrets: job.secrets,
      }))
      const lines = listed.map((job) => `${job.name}${job.needs.length > 0 ? ` (needs ${job.needs.join(', ')})` : ''}: ${job.group ? 'group' : `${job.steps.length} step(s) in ${job.image}`}`)
      if (shown.omitted > 0) lines.push(`… and ${shown.omitted} more job(s)`)
      return {
        summary: `${file}: ${jobs.length} job(s); targets: ${targets.join(', ') || 'none'}\n${lines.join('\n')}`,
        data: {file, targets, jobs: listed, jobsOmitted: shown.omitted},
      }
    },
  })

  registerOrcaTool(server, context, 'validate_pipeline', {
    title: 'Validate the pipeline',
    description:
      "Checks jobs.yml and orca's configuration as `orca validate` does (schemas, unknown needs, cycles, globs leaving the project, jobs without an image) without running anything. Every problem comes back with its file, line, column and key path. Call it after editing jobs.yml.",
    input: z.object({file: fileArgument}),
    output: z.object({
      file: z.string(),
      valid: z.boolean(),
      jobs: z.number().describe('jobs in a valid pipeline'),
      edges: z.number().describe('needs between them'),
      diagnostics: z.array(diagnosticSchema),
      diagnosticsOmitted: z.number(),
      hint: z.string().optional(),
    }),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args) {
      const file = context.project.pipelineFile(args.file)
      try {
        const {pipeline} = await context.project.load(args.file)
        const jobs = pipeline.jobs.size
        const edges = [...pipeline.jobs.values()].reduce((sum, job) => sum + job.needs.length, 0)
        return {summary: `${file}: ${jobs} job(s), ${edges} edge(s), valid`, data: {file, valid: true, jobs, edges, diagnostics: [], diagnosticsOmitted: 0}}
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error
        const shown = boundedList(error.diagnostics, MAX_DIAGNOSTICS)
        const diagnostics = shown.items.map((d) => ({...d, message: boundedText(d.message, 1000)}))
        const lines = error.message.split('\n').slice(0, MAX_DIAGNOSTICS)
        if (shown.omitted > 0) lines.push(`… and ${shown.omitted} more problem(s)`)
        if (error.hint) lines.push(`hint: ${error.hint}`)
        return {
          summary: `${file}: invalid, ${error.diagnostics.length} problem(s)\n${lines.join('\n')}`,
          data: {file, valid: false, jobs: 0, edges: 0, diagnostics, diagnosticsOmitted: shown.omitted, ...(error.hint ? {hint: error.hint} : {})},
        }
      }
    },
  })

  registerOrcaTool(server, context, 'explain_cache', {
    title: 'Explain a cache miss',
    description:
      "Says whether a job would run or be restored from the cache, and why its key differs from the one it was last cached under (as `orca explain`): input files added, removed or changed, definition or env changes (names only), another image ID, and which needed job's key changed, explained in turn. Runs nothing; Docker is asked only for image IDs.",
    input: z.object({
      job: jobArgument,
      env: z.record(z.string(), z.string()).optional().describe('environment overrides as the run would get them (they are part of the key)'),
      file: fileArgument,
    }),
    output: z.object({job: z.string(), explanations: z.array(jobExplanationSchema)}),
    annotations: {readOnlyHint: true, openWorldHint: false},
    async run(args) {
      const {location, env} = context.project
      const explanation = withoutEnvValues(
        await explainTarget({cwd: location.cwd, projectDir: location.projectDir, env, file: context.project.pipelineFile(args.file), job: args.job, envOverrides: nameTable(args.env)}),
      )
      return {summary: boundedText(formatExplanation(explanation).trimEnd(), 16_000), data: {job: args.job, explanations: flattenExplanation(explanation)}}
    },
  })
}
