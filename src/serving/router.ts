import type { Routing, RoutingArm } from '../store/types.js'
import type { LoadedVersion } from './model-cache.js'

export type Role = RoutingArm['role']

export interface Route {
  v: LoadedVersion
  role: Role
}

const BUCKETS = 10_000

/**
 * Picks the version that answers each request to a deployment. With no rollout, the stable one.
 * During a rollout, by weight: with a sticky key, an entity's hash picks a bucket (0–9999) and
 * the canary/arms own the first buckets, so an entity stays on its version across weight changes
 * (a canary at 10% keeps its entities at 25%), restarts and replicas; without one, a smooth
 * weighted round-robin gives each arm exactly its share. Each arm's buckets start at a fixed
 * place (`from`), so one arm leaving, or failing to load here, moves no one else's entities. A
 * shadow arm never answers: `mirror` says whether a request is also copied to it.
 */
export class Router {
  private readonly live: { route: Route; weight: number; from: number; credit: number }[]
  private readonly stableRoute: Route
  private readonly shadowArm: { v: LoadedVersion; weight: number } | null
  private stableCredit = 0
  private mirrored = 0
  private seen = 0

  constructor(
    readonly routing: Routing | null,
    stable: LoadedVersion,
    /** The loaded version of each arm (`model@version`); arms that failed to load are absent and get no traffic. */
    versions: Map<string, LoadedVersion>,
  ) {
    this.stableRoute = { v: stable, role: 'stable' }
    const arms = routing?.arms ?? []
    const loaded = (a: RoutingArm) => versions.get(`${a.model}@${a.version}`)
    let next = 0
    this.live = arms
      .filter((a) => a.role === 'canary' || a.role === 'arm')
      .flatMap((a) => {
        const v = loaded(a)
        const from = a.from ?? next
        next = from + a.weight
        return v && a.weight > 0 ? [{ route: { v, role: a.role }, weight: a.weight, from, credit: 0 }] : []
      })
    const shadow = arms.find((a) => a.role === 'shadow')
    const sv = shadow && loaded(shadow)
    this.shadowArm = sv && shadow.weight > 0 ? { v: sv, weight: shadow.weight } : null
  }

  get stable(): LoadedVersion {
    return this.stableRoute.v
  }

  /** Every version this router may send a request to (the stable first). */
  versions(): LoadedVersion[] {
    return [this.stable, ...this.live.map((a) => a.route.v), ...(this.shadowArm ? [this.shadowArm.v] : [])]
  }

  /** Where `sticky_key` is read from: a header name, a body field, or nothing. */
  get stickyKey(): { header: string } | { field: string } | null {
    const key = this.routing?.sticky_key
    if (!key) return null
    return key.startsWith('header:') ? { header: key.slice(7).toLowerCase() } : { field: key }
  }

  /** The version for a request: the one asked for by number (null if none here has it), else by weight. */
  pick(asked: number | null, key: string | null): Route | null {
    if (asked !== null) {
      if (asked === this.stable.version) return this.stableRoute
      const arm = this.live.find((a) => a.route.v.version === asked)
      if (arm) return arm.route
      return this.shadowArm?.v.version === asked ? { v: this.shadowArm.v, role: 'shadow' } : null
    }
    if (this.live.length === 0) return this.stableRoute
    if (key !== null) {
      const bucket = hashBucket(`${this.routing!.rollout}:${key}`) / (BUCKETS / 100)
      const arm = this.live.find((a) => bucket >= a.from && bucket < a.from + a.weight)
      return arm ? arm.route : this.stableRoute
    }
    return this.roundRobin()
  }

  /** Whether this request is also sent to the shadow (the same entities each time, with a key). */
  mirror(key: string | null): LoadedVersion | null {
    const arm = this.shadowArm
    if (!arm) return null
    if (key !== null)
      return hashBucket(`${this.routing!.rollout}:shadow:${key}`) < arm.weight * (BUCKETS / 100)
        ? arm.v
        : null
    this.seen++
    const due = Math.floor((this.seen * arm.weight) / 100)
    if (due <= this.mirrored) return null
    this.mirrored = due
    return arm.v
  }

  /** nginx's smooth weighted round-robin: exact shares, evenly interleaved, no randomness. */
  private roundRobin(): Route {
    let best: (typeof this.live)[number] | null = null
    let rest = 100
    for (const arm of this.live) {
      arm.credit += arm.weight
      rest -= arm.weight
      if (!best || arm.credit > best.credit) best = arm
    }
    this.stableCredit += rest
    if (this.stableCredit >= best!.credit) {
      this.stableCredit -= 100
      return this.stableRoute
    }
    best!.credit -= 100
    return best!.route
  }
}

/** A well-mixed bucket in [0, 10000) for a string: FNV-1a, then murmur3's finaliser. */
export function hashBucket(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) % BUCKETS
}
