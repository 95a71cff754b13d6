// The dashboard's entry: a hash router (#/, #/runs/<id>, #/runs/<id>/<job>) and the login form.
// Served by `orca serve` at /, or embedded with one run's data by `orca show --html`.
import {render} from 'preact'
import {useEffect, useState} from 'preact/hooks'

import {logIn, logOut, whenUnauthorized} from './api.js'
import {embeddedRun} from './run-data.js'
import {RunPage} from './run-page.js'
import {RunsList} from './runs-list.js'

function useHash(): string {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const update = (): void => setHash(location.hash)
    addEventListener('hashchange', update)
    return () => removeEventListener('hashchange', update)
  }, [])
  return hash
}

function Login(props: {onDone: () => void}) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string>()
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    if (await logIn(token)) props.onDone()
    else setError('That token was refused.')
  }
  return (
    <main class="login">
      <h1>orca</h1>
      <form onSubmit={submit}>
        <label for="token">Token</label>
        <input id="token" type="password" autoComplete="current-password" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} required />
        <button type="submit">Log in</button>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  )
}

function App() {
  const hash = useHash()
  const [loggedOut, setLoggedOut] = useState(false)
  const [session, setSession] = useState(0)
  useEffect(() => whenUnauthorized(() => setLoggedOut(true)), [])
  const embedded = embeddedRun()
  if (embedded) return <RunPage id={embedded.record.id} job={/^#\/runs\/[^/]+\/([^/]+)$/.exec(hash)?.[1]} />
  if (loggedOut) {
    return (
      <Login
        onDone={() => {
          setLoggedOut(false)
          setSession(session + 1)
        }}
      />
    )
  }
  const run = /^#\/runs\/([^/]+)(?:\/([^/]+))?$/.exec(hash)
  return (
    <div key={session}>
      <header class="top">
        <a href="#/" class="brand">
          orca
        </a>
        <button type="button" class="link" onClick={() => void logOut().then(() => setLoggedOut(true))}>
          Log out
        </button>
      </header>
      {run ? <RunPage key={run[1]} id={decodeURIComponent(run[1]!)} job={run[2] && decodeURIComponent(run[2])} /> : <RunsList />}
    </div>
  )
}

render(<App />, document.getElementById('app')!)
