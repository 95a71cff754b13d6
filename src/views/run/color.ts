/** The few ANSI styles the reporters use. */
const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const

export type Style = keyof typeof CODES
export type Paint = (style: Style, text: string) => string

/**
 * Colour when the stream is a terminal and `NO_COLOR` is unset (no-color.org); `FORCE_COLOR`
 * (any value but `0`/`false`) wins over both, for CI logs that render ANSI.
 */
export function shouldColor(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force !== 'false'
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return stream.isTTY === true
}

/** A painter that styles text, or leaves it alone when colour is off. */
export function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text
  return (style, text) => `\u001B[${CODES[style][0]}m${text}\u001B[${CODES[style][1]}m`
}
