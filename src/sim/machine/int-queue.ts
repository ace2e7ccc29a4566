/**
 * A growable FIFO ring of int32 values (request slots, connection ids, core ids).
 * No allocation except when it doubles. Optionally bounded: `push` returns false when full.
 */
export class IntQueue {
  private buf: Int32Array
  private head = 0
  size = 0

  /** @param bound maximum length (Infinity = unbounded). */
  constructor(capacity = 16, readonly bound = Infinity) {
    let cap = 1
    while (cap < capacity) cap <<= 1
    this.buf = new Int32Array(cap)
  }

  /** Append at the tail. Returns false (and stores nothing) when the queue is at its bound. */
  push(v: number): boolean {
    if (this.size >= this.bound) return false
    if (this.size === this.buf.length) this.grow()
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = v
    this.size++
    return true
  }

  /** Remove and return the head. Caller ensures size > 0. */
  shift(): number {
    const v = this.buf[this.head]
    this.head = (this.head + 1) & (this.buf.length - 1)
    this.size--
    return v
  }

  /** The head without removing it. Caller ensures size > 0. */
  peek(): number {
    return this.buf[this.head]
  }

  /** The i-th element from the head (0 = head). Caller ensures i < size. */
  at(i: number): number {
    return this.buf[(this.head + i) & (this.buf.length - 1)]
  }

  /** Remove the element at position i from the head, keeping the order of the others. O(size). */
  removeAt(i: number): number {
    const mask = this.buf.length - 1
    const v = this.buf[(this.head + i) & mask]
    for (let j = i; j < this.size - 1; j++) {
      this.buf[(this.head + j) & mask] = this.buf[(this.head + j + 1) & mask]
    }
    this.size--
    return v
  }

  clear(): void {
    this.head = 0
    this.size = 0
  }

  private grow(): void {
    const old = this.buf
    const next = new Int32Array(old.length * 2)
    const mask = old.length - 1
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & mask]
    this.buf = next
    this.head = 0
  }
}
