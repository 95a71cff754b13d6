import type {RunService} from '../run-service.js'

/** What every route module gets: the runs of this server, and the signal that aborts open streams at shutdown. */
export interface RouteContext {
  runs: RunService
  stop: AbortSignal
}

export const RUN_ID_PARAM = {type: 'object', required: ['id'], properties: {id: {type: 'string', description: 'A run id, or `latest`.'}}}
export const SECURITY = [{bearer: []}]
