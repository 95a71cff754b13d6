import {execFileSync} from 'node:child_process'

import tar from 'tar-stream'

/** A tar of `entries` (files with content, symlinks with a target), names as given. */
export async function tarOf(entries: Array<{name: string; content?: string; linkname?: string}>): Promise<Buffer> {
  const pack = tar.pack()
  for (const entry of entries) {
    if (entry.linkname !== undefined) pack.entry({name: entry.name, type: 'symlink', linkname: entry.linkname})
    else pack.entry({name: entry.name}, entry.content ?? '')
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** The files of a tar by name, with their content. */
export async function filesOfTar(bytes: Buffer): Promise<Record<string, string>> {
  const extract = tar.extract()
  const files: Record<string, string> = {}
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk as Buffer)
      if (entry.header.type === 'file') files[entry.header.name] = Buffer.concat(chunks).toString('utf8')
    }
  })()
  extract.end(bytes)
  await done
  return files
}

/** The ids of the containers labelled as sandbox `id`, as `docker ps -a` sees them. */
export function sandboxContainers(id: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=orca.sandbox=${id}`], {encoding: 'utf8'}).split('\n').filter(Boolean)
}

/** The NDJSON lines of an exec's reply. */
export function execLines(text: string): Array<{type: string; stream?: string; text?: string; exitCode?: number | null}> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as {type: string})
}
