// A job's log: only the lines in view are in the DOM (a 100k-line log is a few dozen elements),
// ANSI colours turned into classes (anser), text always set as text, never as markup. It follows the
// end while output arrives until the reader scrolls up; the Follow button (or End) resumes.
import Anser from 'anser'
import {useEffect, useLayoutEffect, useRef, useState} from 'preact/hooks'

import type {LogLines} from './log-lines.js'

const LINE_HEIGHT = 18
const OVERSCAN = 20

function AnsiLine(props: {text: string}) {
  // Fast path: most lines have no escape sequence.
  if (!props.text.includes('\u001b')) return <>{props.text}</>
  const parts = Anser.ansiToJson(props.text, {use_classes: true, remove_empty: true})
  return (
    <>
      {parts.map((part, i) => {
        const classes = [part.fg && `${part.fg}-fg`, part.bg && `${part.bg}-bg`, ...(part.decorations ?? []).map((d) => `ansi-${d}`)].filter(Boolean).join(' ')
        const style: Record<string, string> = {}
        // 24-bit colours have no class; a style property set from script is not inline markup (CSP allows it).
        if (part.fg === 'ansi-truecolor' && part.fg_truecolor) style.color = `rgb(${part.fg_truecolor})`
        if (part.bg === 'ansi-truecolor' && part.bg_truecolor) style.backgroundColor = `rgb(${part.bg_truecolor})`
        return (
          <span key={i} class={classes} style={style}>
            {part.content}
          </span>
        )
      })}
    </>
  )
}

export function LogView(props: {log: LogLines | undefined; version: number; label: string}) {
  const {log, version} = props
  const viewport = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(400)
  const [follow, setFollow] = useState(true)
  const total = log?.length ?? 0

  useEffect(() => {
    const element = viewport.current
    if (!element) return
    const observer = new ResizeObserver(() => setHeight(element.clientHeight))
    observer.observe(element)
    return () => observer.disconnect()
  }, [])

  // Following: the view stays at the end as lines arrive.
  useLayoutEffect(() => {
    const element = viewport.current
    if (follow && element) {
      element.scrollTop = element.scrollHeight
      setScrollTop(element.scrollTop)
    }
  }, [version, total, follow])

  const onScroll = (): void => {
    const element = viewport.current!
    setScrollTop(element.scrollTop)
    const atEnd = element.scrollTop + element.clientHeight >= element.scrollHeight - LINE_HEIGHT
    if (!atEnd && follow) setFollow(false)
  }

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN)
  const last = Math.min(total, Math.ceil((scrollTop + height) / LINE_HEIGHT) + OVERSCAN)
  const rows = []
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} class="log-line" data-line={i + 1}>
        <AnsiLine text={log!.line(i)} />
      </div>,
    )
  }
  return (
    <div class="log">
      <div class="log-bar">
        <span>{total.toLocaleString()} lines</span>
        <button type="button" aria-pressed={follow} onClick={() => setFollow(!follow)}>
          {follow ? 'Following' : 'Follow'}
        </button>
      </div>
      <div
        ref={viewport}
        class="log-viewport"
        role="log"
        aria-label={props.label}
        tabIndex={0}
        onScroll={onScroll}
        onKeyDown={(event) => {
          if (event.key === 'End') setFollow(true)
        }}
      >
        <div class="log-spacer" style={{height: `${total * LINE_HEIGHT}px`}}>
          <div class="log-window" style={{transform: `translateY(${first * LINE_HEIGHT}px)`}}>
            {rows}
          </div>
        </div>
      </div>
    </div>
  )
}
