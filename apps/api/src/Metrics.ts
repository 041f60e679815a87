/**
 * `/metrics` in the Prometheus text format: API requests by verb, resource and code, request
 * latency histograms, open watches (the middleware hands the watch handler a gauge), and pods by phase and container
 * restarts (read from the store at scrape time).
 */
import type { Pod } from "@podlet/core/api/Pod"
import { ObjectStore } from "@podlet/core/services/ObjectStore"
import { Effect } from "effect"
import type { MiddlewareHandler } from "hono"
import { isWatch } from "./Query.js"
import { type GroupVersion, GroupVersions, hrefParts, resolveTarget, segmentsAfter, type Target } from "./Target.js"
import { type WatchGauge, watchGauges } from "./Watch.js"

/** Histogram buckets of request latency, in seconds (the apiserver's lower buckets). */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/** The Kubernetes verb and resource of a request, or undefined for non-resource paths. */
export const requestVerb = (
  method: string,
  url: URL
): { readonly verb: string; readonly resource: string } | undefined =>
  verbAndResource(method, url.pathname, () => url.searchParams)

/**
 * `requestVerb` over a request's URL string (`Request.url`, a serialized absolute URL), without
 * building a URL object: the metrics middleware runs it on every request.
 */
export const requestVerbOfHref = (
  method: string,
  href: string
): { readonly verb: string; readonly resource: string } | undefined => {
  const parts = hrefParts(href)
  return verbAndResource(method, parts.pathname, () => new URLSearchParams(parts.search))
}

const verbAndResource = (
  method: string,
  pathname: string,
  query: () => URLSearchParams
): { readonly verb: string; readonly resource: string } | undefined => {
  const gv = groupVersionOf(pathname)
  if (gv === undefined) return undefined
  const segments = segmentsAfter(pathname, gv.prefix.length + 1)
  const target = segments === undefined ? undefined : resolveTarget(gv, segments)
  if (target === undefined) return undefined
  const resource =
    target.subresource === undefined ? target.resource.resource : `${target.resource.resource}/${target.subresource}`
  return { verb: verbOf(method, target, query), resource }
}

const groupVersionOf = (pathname: string): GroupVersion | undefined => {
  for (const g of GroupVersions) {
    if (pathname.startsWith(g.prefix) && pathname.charCodeAt(g.prefix.length) === 47) return g
  }
  return undefined
}

const verbOf = (method: string, target: Target, query: () => URLSearchParams): string => {
  const named = target.name !== undefined
  switch (method) {
    case "GET":
    case "HEAD":
      if (target.watchPath || (isWatch(query()) && target.subresource === undefined)) return "watch"
      return named ? "get" : "list"
    case "POST":
      return "create"
    case "PUT":
      return "update"
    case "PATCH":
      return "patch"
    case "DELETE":
      return named ? "delete" : "deletecollection"
    default:
      return method.toLowerCase()
  }
}

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
const labels = (entries: Record<string, string>) =>
  `{${Object.entries(entries)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`

interface Histogram {
  readonly counts: Array<number>
  sum: number
  count: number
}

/** The API's request metrics: a Hono middleware that records, and the text of a scrape. */
export class ApiMetrics {
  private readonly requests = new Map<string, number>()
  private readonly latency = new Map<string, Histogram>()
  private watches = 0

  /** Counts every resource request; a watch counts as open until its body ends or is cancelled. */
  readonly middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now()
    const info = requestVerbOfHref(c.req.method, c.req.url)
    if (info?.verb === "watch") watchGauges.set(c.req.raw, this.gauge)
    await next()
    if (info === undefined) return
    const code = String(c.res.status)
    const key = `${info.verb}\u0000${info.resource}\u0000${code}`
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1)
    if (info.verb === "watch") return
    const seconds = (performance.now() - started) / 1000
    const hkey = `${info.verb}\u0000${info.resource}`
    const h = this.latency.get(hkey) ?? { counts: latencyBuckets.map(() => 0), sum: 0, count: 0 }
    for (let i = 0; i < latencyBuckets.length; i++) if (seconds <= latencyBuckets[i]!) h.counts[i]! += 1
    h.sum += seconds
    h.count += 1
    this.latency.set(hkey, h)
  }

  private readonly gauge: WatchGauge = {
    opened: () => {
      this.watches += 1
    },
    closed: () => {
      this.watches -= 1
    }
  }

  /** The request metrics in the text format. */
  requestText(): string {
    const out: Array<string> = [
      "# HELP podlet_api_requests_total API requests by verb, resource and HTTP code.",
      "# TYPE podlet_api_requests_total counter"
    ]
    for (const [key, n] of [...this.requests].sort()) {
      const [verb = "", resource = "", code = ""] = key.split("\u0000")
      out.push(`podlet_api_requests_total${labels({ verb, resource, code })} ${n}`)
    }
    out.push(
      "# HELP podlet_api_request_duration_seconds API request latency (watches excluded).",
      "# TYPE podlet_api_request_duration_seconds histogram"
    )
    for (const [key, h] of [...this.latency].sort()) {
      const [verb = "", resource = ""] = key.split("\u0000")
      latencyBuckets.forEach((le, i) => {
        out.push(
          `podlet_api_request_duration_seconds_bucket${labels({ verb, resource, le: String(le) })} ${h.counts[i]}`
        )
      })
      out.push(`podlet_api_request_duration_seconds_bucket${labels({ verb, resource, le: "+Inf" })} ${h.count}`)
      out.push(`podlet_api_request_duration_seconds_sum${labels({ verb, resource })} ${h.sum}`)
      out.push(`podlet_api_request_duration_seconds_count${labels({ verb, resource })} ${h.count}`)
    }
    out.push(
      "# HELP podlet_api_watches Open watch streams.",
      "# TYPE podlet_api_watches gauge",
      `podlet_api_watches ${this.watches}`
    )
    return `${out.join("\n")}\n`
  }
}

const phases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const

/** Pods by phase and container restarts, from the store. */
export const podMetricsText = Effect.gen(function* () {
  const store = yield* ObjectStore
  const pods = yield* store.list<Pod>("pods").pipe(Effect.map((r) => r.items))
  const byPhase = new Map<string, number>(phases.map((p) => [p, 0]))
  let restarts = 0
  for (const pod of pods) {
    const phase = pod.status?.phase ?? "Pending"
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1)
    for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
      restarts += s.restartCount ?? 0
    }
  }
  const out = ["# HELP podlet_pods Pods by phase.", "# TYPE podlet_pods gauge"]
  for (const [phase, n] of byPhase) out.push(`podlet_pods${labels({ phase })} ${n}`)
  out.push(
    "# HELP podlet_container_restarts Container restarts summed over the pods that exist.",
    "# TYPE podlet_container_restarts gauge",
    `podlet_container_restarts ${restarts}`
  )
  return `${out.join("\n")}\n`
})
