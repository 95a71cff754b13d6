import type {SandboxPolicy} from '../config/types.js'
import {OrcaError} from '../errors.js'

export type {SandboxPolicy}

/** What a client asks for; every key optional but the image. */
export interface SandboxLimitsRequest {
  cpus?: number
  memoryBytes?: number
  pids?: number
}

export interface SandboxLimits {
  cpus: number
  memoryBytes: number
  pids: number
}

/** A requested time-to-live clamped into (0, maxTtl]; none asked = the default (itself clamped). */
export function resolveTtl(requestedMs: number | undefined, policy: SandboxPolicy): number {
  const wanted = requestedMs ?? policy.defaultTtlMs
  if (!Number.isFinite(wanted) || wanted <= 0) throw new OrcaError('usage', 'ttl must be a positive duration, e.g. "10m"')
  return Math.min(wanted, policy.maxTtlMs)
}

/** Requested limits clamped to the policy's caps; a limit not asked for is the cap. */
export function resolveLimits(requested: SandboxLimitsRequest | undefined, policy: SandboxPolicy): SandboxLimits {
  const clamp = (value: number | undefined, cap: number): number => (value === undefined || value <= 0 ? cap : Math.min(value, cap))
  return {cpus: clamp(requested?.cpus, policy.cpus), memoryBytes: clamp(requested?.memoryBytes, policy.memoryBytes), pids: Math.round(clamp(requested?.pids, policy.pids))}
}

/** Whether `image` may be used: listed exactly (no pattern, so a client cannot name an image the operator did not). */
export function imageAllowed(image: string, policy: SandboxPolicy): boolean {
  return policy.images.includes(image)
}
