/**
 * A trace source whose stream lets the event loop run now and then (signal handlers, timers).
 */
import type {TraceSource} from './types.js'

/**
 * The same source, but its stream returns to the event loop (a macrotask turn) at least every
 * `everyMs` of wall time. An async generator whose values are ready at once (synthetic traces,
 * in-memory traces) runs entirely on microtasks, so without this a signal handler (Ctrl-C), a
 * progress redraw or a timer would not run until the whole pass is over.
 */
export function yielding(source: TraceSource, everyMs = 50): TraceSource {
  const inner = source
  return {
    get name() {
      return inner.name
    },
    get typeNames() {
      return inner.typeNames
    },
    get rowsHint() {
      return inner.rowsHint
    },
    ...(inner.digest ? {digest: () => inner.digest!()} : {}),
    ...(inner.quickStats ? {quickStats: () => inner.quickStats!()} : {}),
    ...(inner.rememberStats ? {rememberStats: (s) => inner.rememberStats!(s)} : {}),
    async *batches() {
      let last = performance.now()
      for await (const b of inner.batches()) {
        yield b
        const now = performance.now()
        if (now - last >= everyMs) {
          await new Promise<void>((resolve) => setImmediate(resolve))
          last = performance.now()
        }
      }
    },
  }
}
