/**
 * Named event counters of one run. A policy defines each counter once (at creation) and
 * increments `values[id]` in the hot path: no string lookups per event.
 */
export class Counters {
  private readonly names: string[] = []
  values = new Float64Array(16)

  /** Register a counter (idempotent) and return its index. */
  define(name: string): number {
    const existing = this.names.indexOf(name)
    if (existing >= 0) return existing
    if (this.names.length === this.values.length) {
      const v = new Float64Array(this.values.length * 2)
      v.set(this.values)
      this.values = v
    }
    this.names.push(name)
    return this.names.length - 1
  }

  add(id: number, n = 1): void {
    this.values[id] += n
  }

  toRecord(): Record<string, number> {
    const out: Record<string, number> = {}
    for (let i = 0; i < this.names.length; i++) out[this.names[i]] = this.values[i]
    return out
  }
}
