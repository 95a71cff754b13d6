import {OrcaCommand} from '../../cli/base.js'
import {oclifFlags} from '../../cli/flags/oclif.js'
import {cacheLsFlags} from '../../cli/flags/cache.js'

export default class CacheLs extends OrcaCommand {
  static override summary = 'List cache entries, most recently used first.'

  static override description = `Shows every entry of the job cache (cacheDir, .orca/cache by default): key prefix, job, the run that produced it, size and when a run last used it, with the total against cache.maxSize.`

  static override examples = [
    {description: 'What is cached', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override flags = oclifFlags(cacheLsFlags)

  public async run(): Promise<void> {
    const {flags} = await this.parse(CacheLs)
    const [{projectConfig}, {CacheStore}, {listEntries}, {formatEntries}] = await Promise.all([
      import('../../cli/project.js'),
      import('../../engine/cache/store.js'),
      import('../../engine/cache/maintenance.js'),
      import('../../views/cache/entries.js'),
    ])
    const config = await projectConfig()
    const entries = listEntries(new CacheStore(config.cacheDir))
    process.stdout.write(flags.json ? `${JSON.stringify(entries, null, 2)}\n` : formatEntries(entries, config.cacheDir, config.cache.maxSizeBytes))
  }
}
