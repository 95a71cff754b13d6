import {readdirSync, rmSync} from 'node:fs'
import * as path from 'node:path'

import {startTimeOf} from '../../process-identity.js'
import {signalGroup} from './process-group.js'
import {readWorkMarker, type WorkMarker} from './work-folder.js'

/** A host job's folder whose run is no longer alive and that its policy did not keep. */
export interface HostWorkLeak {
  dir: string
  runId: string
  job: string
  /** Process groups its steps started whose leader still runs (same pid, same start time). */
  groups: number[]
}

/**
 * The host work folders under `<runsDir>/<run>/<hostDir>/<job>/` that carry orca's marker for that
 * very run and job, whose run is not alive and which are not kept: what a killed orca left behind.
 * A folder without a readable marker is not orca's to remove, whatever its name.
 */
export function findHostLeaks(runsDir: string, hostDir: string, runIds: readonly string[], isRunAlive: (runId: string) => boolean): HostWorkLeak[] {
  const leaks: HostWorkLeak[] = []
  for (const runId of runIds) {
    const root = path.join(runsDir, runId, hostDir)
    for (const job of listDir(root)) {
      const dir = path.join(root, job)
      const marker = readWorkMarker(dir)
      if (marker === undefined || marker.runId !== runId || marker.job !== job || marker.kept === true) continue
      if (isRunAlive(runId)) continue
      leaks.push({dir, runId, job, groups: liveGroups(marker)})
    }
  }
  return leaks
}

/** Kills what the folder's steps still run, then removes it. */
export function removeHostLeak(leak: HostWorkLeak): void {
  for (const pgid of leak.groups) signalGroup(pgid, 'SIGKILL')
  rmSync(leak.dir, {recursive: true, force: true})
}

/** Groups whose leader is provably the process the step started: its pid now has the start time recorded then. */
function liveGroups(marker: WorkMarker): number[] {
  return marker.groups.filter((g) => g.startTime !== undefined && startTimeOf(g.pgid) === g.startTime).map((g) => g.pgid)
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
