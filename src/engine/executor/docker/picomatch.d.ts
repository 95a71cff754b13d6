// picomatch ships without types; this is the part orca uses.
declare module 'picomatch' {
  interface Options {
    dot?: boolean
  }
  interface ScanResult {
    base: string
    glob: string
    isGlob: boolean
  }
  interface Picomatch {
    (glob: string | string[], options?: Options): (path: string) => boolean
    scan(glob: string, options?: Options): ScanResult
  }
  const picomatch: Picomatch
  export default picomatch
}
