import {chromium, type Browser, type BrowserContext} from 'playwright-core'

/** Debian's chromium (scripts/browser-up.sh); playwright-core never downloads one. */
export const CHROMIUM = process.env.ORCA_CHROMIUM ?? '/usr/bin/chromium'

/**
 * A headless Chromium (a fresh profile in a temp folder playwright removes) and one context in it. The
 * flags keep it from reaching out on its own (updates, sync, background fetches), which a closed
 * network refuses. `close()` ends it.
 */
export async function launchBrowser(options: {colorScheme?: 'light' | 'dark'} = {}): Promise<{browser: Browser; context: BrowserContext; close: () => Promise<void>}> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const context = await browser.newContext({viewport: {width: 1280, height: 900}, colorScheme: options.colorScheme ?? 'light', acceptDownloads: true})
  return {browser, context, close: () => browser.close()}
}
