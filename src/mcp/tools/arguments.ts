import * as z from 'zod'

/** The run a tool reads: an id, a unique prefix of one, or `latest`. */
export const runArgument = z.string().min(1).default('latest').describe('run id, a unique prefix of one, or "latest"')

/** Another pipeline file of the project than its jobs.yml. */
export const fileArgument = z
  .string()
  .optional()
  .describe("pipeline file relative to the project folder (default: the project's jobs.yml)")

/** A job of a run. */
export const jobArgument = z.string().min(1).describe('job name')

/** How many bytes a text answer carries at most, and the default. */
export const MAX_TEXT_BYTES = 128 * 1024
export const DEFAULT_TEXT_BYTES = 32 * 1024

export const maxBytesArgument = z
  .number()
  .int()
  .min(256)
  .max(MAX_TEXT_BYTES)
  .default(DEFAULT_TEXT_BYTES)
  .describe('most bytes of text returned; what is left out is marked with how to read it')

export const offsetArgument = z.number().int().min(0).optional().describe('read from this byte offset instead of the end')
