import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {chromium, type BrowserContext} from 'playwright-core'

/** Debian's chromium (scripts/browser-up.sh); playwright-core never downloads one. */
export const CHROMIUM = process.env.ORCA_CHROMIUM ?? '/usr/bin/chromium'

/**
 * A headless Chromium with a fresh profile. The flags keep it from reaching out on its own (updates,
 * sync, background fetches), which a closed network refuses. `close()` ends it and removes the profile.
 */
export async function launchBrowser(options: {colorScheme?: 'light' | 'dark'; acceptDownloads?: boolean} = {}): Promise<{context: BrowserContext; close: () => Promise<void>}> {
  const profile = mkdtempSync(join(tmpdir(), 'orca-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: {width: 1280, height: 900},
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: options.acceptDownloads ?? true,
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, {recursive: true, force: true})
    },
  }
}
