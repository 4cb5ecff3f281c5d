/**
 * What the model server emits for every answered request, for monitoring to consume. It lives in
 * `core` because `serving` produces it and `monitor` reads it, and the two never import each other.
 */
export interface PredictionRecord {
  request_id: string
  deployment: string
  model: string
  version: number
  /** UTC ISO-8601 time the request arrived. */
  at: string
  latency_ms: number
  rows: number
  /** Input columns by name, one value per row (INT64 as bigint). */
  features: Record<string, ArrayLike<unknown>>
  /** Output tensors by name, flat, row-major. */
  outputs: Record<string, ArrayLike<unknown>>
}

/**
 * A bounded in-memory queue of prediction records. `push` never blocks and never grows past the
 * capacity: when full, the record is dropped and counted, so a slow consumer cannot slow requests.
 */
export class PredictionStream {
  private readonly buffer: (PredictionRecord | undefined)[]
  private head = 0
  private length = 0
  private droppedCount = 0
  private pushedCount = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer')
    this.buffer = new Array(capacity)
  }

  /** Adds a record; false (and counted) when the stream is full. */
  push(record: PredictionRecord): boolean {
    if (this.length === this.capacity) {
      this.droppedCount++
      return false
    }
    this.buffer[(this.head + this.length) % this.capacity] = record
    this.length++
    this.pushedCount++
    return true
  }

  /** Takes up to `max` records, oldest first. */
  drain(max = this.capacity): PredictionRecord[] {
    const n = Math.min(max, this.length)
    const out: PredictionRecord[] = []
    for (let i = 0; i < n; i++) {
      const at = (this.head + i) % this.capacity
      out.push(this.buffer[at]!)
      this.buffer[at] = undefined
    }
    this.head = (this.head + n) % this.capacity
    this.length -= n
    return out
  }

  get size(): number {
    return this.length
  }

  /** Records refused because the stream was full, since it was made. */
  get dropped(): number {
    return this.droppedCount
  }

  get pushed(): number {
    return this.pushedCount
  }
}
