import type {KeyStore} from '../server/auth/key-store.js'

/** The key store of the project `orca serve` would serve from this folder (the same config, the same runs folder). */
export async function openKeyStore(): Promise<KeyStore> {
  const [{loadConfig}, {KeyStore}] = await Promise.all([import('../engine/config/load.js'), import('../server/auth/key-store.js')])
  const config = await loadConfig({cwd: process.cwd(), env: process.env})
  return KeyStore.forRunsDir(config.runsDir)
}
