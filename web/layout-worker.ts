// Lays out a pipeline graph off the page's main thread (web/layout.ts).
import {layOut} from './layout.js'

addEventListener('message', (event: MessageEvent<{jobs: string[]; needs: Record<string, string[]>}>) => {
  postMessage(layOut(event.data.jobs, event.data.needs))
})
