import {OrcaCommand} from '../../cli/base.js'

export default class CacheClear extends OrcaCommand {
  static override summary = 'Remove every cache entry.'

  static override description = `Empties the job cache (cacheDir, .orca/cache by default): entries, the stat index that spares re-reading unchanged files, and the record of each job's last key used by orca explain. The next run runs every job.`

  static override examples = [{description: 'Start from an empty cache', command: '<%= config.bin %> <%= command.id %>'}]

  public async run(): Promise<void> {
    await this.parse(CacheClear)
    const [{projectConfig}, {CacheStore}, {clearCache}] = await Promise.all([
      import('../../cli/project.js'),
      import('../../engine/cache/store.js'),
      import('../../engine/cache/maintenance.js'),
    ])
    const config = await projectConfig()
    const count = clearCache(new CacheStore(config.cacheDir))
    process.stdout.write(`removed ${count} entr${count === 1 ? 'y' : 'ies'} from ${config.cacheDir}\n`)
  }
}
