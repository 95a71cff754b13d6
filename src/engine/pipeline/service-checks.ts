import {showValue} from './show-value.js'
import type {NodePath} from './yaml-source.js'

/** Host names a service may not take on a job's network: the job's own container answers to its job's name. */
const RESERVED_HOSTS = new Set(['localhost'])

type Report = (at: NodePath, message: string, on?: 'value' | 'key') => void

interface ServiceShape {
  /** Where it is defined: top level or the job's own. */
  at: NodePath
  name: string
  aliases: Array<[number, string]>
  ready: Record<string, unknown> | undefined
}

/**
 * The rules of `services` the schema cannot express, per job with steps (top-level services apply to
 * each): every host name on the job's network (service names and aliases, and the job's own name) is
 * taken once, a readiness check names one way to check, and a job with services has a network.
 */
export function serviceDiagnostics(root: Record<string, unknown>, report: Report): void {
  const topLevel = shapeServices(root.services, ['services'])
  for (const service of topLevel.values()) checkReady(service, report)
  const jobs = isRecord(root.jobs) ? root.jobs : {}
  for (const [jobName, job] of Object.entries(jobs)) {
    // A host job gets no services (the top-level ones included).
    if (!isRecord(job) || !Array.isArray(job.steps) || job.steps.length === 0 || job['runs-on'] === 'host') continue
    const own = shapeServices(job.services, ['jobs', jobName, 'services'])
    for (const service of own.values()) checkReady(service, report)
    // The job's own services replace top-level ones of the same name.
    const services = new Map([...topLevel, ...own])
    if (services.size === 0) continue
    if (job.network === 'none') {
      const from = [...services.values()].some((s) => s.at[0] === 'services') ? ' (the top-level services apply to every job with steps)' : ''
      report(['jobs', jobName, 'network'], `a job with services needs a network: "network: none" would cut it off from ${listNames([...services.keys()])}${from}`)
    }
    const taken = new Map<string, string>([[jobName, `the job's own host name`]])
    for (const host of RESERVED_HOSTS) taken.set(host, 'reserved')
    for (const [name, service] of services) {
      const claim = (host: string, at: NodePath, on: 'value' | 'key'): void => {
        const holder = taken.get(host)
        const what = at.length === service.at.length + 1 ? `service name ${showValue(host)}` : `alias ${showValue(host)} of service ${showValue(name)}`
        const inJob = service.at[0] === 'services' ? ` in job ${showValue(jobName)}` : ''
        if (holder === undefined) taken.set(host, `service ${showValue(name)}`)
        else if (holder === 'reserved') report(at, `${what} is reserved${inJob}: the job reaches its own container as ${host}`, on)
        else report(at, `${what} is already ${holder}${inJob}; each host name on a job's network must be unique`, on)
      }
      claim(name, [...service.at, name], 'key')
      for (const [index, alias] of service.aliases) claim(alias, [...service.at, name, 'aliases', index], 'value')
    }
  }
}

function checkReady(service: ServiceShape, report: Report): void {
  if (service.ready && service.ready.command !== undefined && service.ready.tcp !== undefined) {
    report([...service.at, service.name, 'ready'], 'give one readiness check: "command" or "tcp", not both', 'key')
  }
}

function shapeServices(services: unknown, at: NodePath): Map<string, ServiceShape> {
  const shaped = new Map<string, ServiceShape>()
  if (!isRecord(services)) return shaped
  for (const [name, service] of Object.entries(services)) {
    const object = isRecord(service) ? service : {}
    const aliases = Array.isArray(object.aliases)
      ? object.aliases.flatMap((alias, index): Array<[number, string]> => (typeof alias === 'string' ? [[index, alias]] : []))
      : []
    shaped.set(name, {at, name, aliases, ready: isRecord(object.ready) ? object.ready : undefined})
  }
  return shaped
}

function listNames(names: string[]): string {
  const shown = names.map((n) => showValue(n))
  return `its service${names.length > 1 ? 's' : ''} ${shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : shown[0]}`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
