/**
 * The API benchmark: pod creates over HTTP from 50 concurrent keep-alive clients against the Node
 * server (`apps/api`, SQLite store, in a child process so clients and server do not share a CPU
 * thread; started by `startServe` from serve's own flags, with the Node flags and NODE_OPTIONS this
 * process has, as `npm run serve` starts it), compared in the same run with a bare route on the same server that parses the same JSON
 * body and answers 201; then watch delivery latency: 100 watchers on one namespace, creates one at a
 * time, the time from sending each create to each watcher reading its ADDED event. Prints creates/s,
 * p50/p99 create latency, the ratio to the bare route, watch p50/p99 and the server's CPU per
 * request; ends with `RESULT api {json}`. Targets: ratio >= 0.5, create p99 < 20 ms, watch p99 < 20 ms.
 *
 * Options: `--creates=5000 --clients=50 --watchers=100 --watch-events=200 --nodes=0 --store=sqlite|memory`,
 * `--phases=bare,create,watch` (any of them, e.g. to profile one), `--watch-path=stream` (watches through
 * the web-stream path, as on workerd, instead of straight to the Node response: a same-build
 * comparison), `--json-reuse=off` (answers serialise objects again instead of reusing the JSON the
 * SQLite backend wrote: a same-build comparison), `--cpu-prof=DIR` (the server writes
 * DIR/<phase>.cpuprofile for each measured phase (bare, create: warm-up excluded; watch), and the client prints the
 * longest stretches of GC, SQLite (better-sqlite3: commits) and controllers in it; `--cpu-prof-interval=µs`, 1000),
 * `--timeline=on` (where the median and the slowest 1% of requests spent their time: sent to parsed,
 * parsed to answered, answered to read, and GC pauses during them), `--heap-sample=FILE` (the
 * server samples every allocation, garbage included, into a .heapprofile), `--warmup=N` (requests before
 * each measured phase; default min(500, creates): a diagnostic, e.g. to see the steady state past the
 * JIT's warm-up).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { Agent, type IncomingMessage, request, type ServerResponse } from "node:http"
import { connect, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { ServeOptions } from "../apps/api/src/Serve.js"

/** the API's Hono app (bench/ does not depend on hono itself) */
type Hono = Parameters<NonNullable<ServeOptions["extend"]>>[0]

const target = { ratio: 0.5, createP99Ms: 20, watchP99Ms: 20 }
/** the monotonic clock in ms, which the client and server processes share (for `--timeline`) */
const monotonic = (): number => Number(process.hrtime.bigint()) / 1e6

/** monotonic() - performance.now() (GC entries' times are performance times): a preemption between the two reads only lowers it */
const clockOffset = Math.max(...Array.from({ length: 20 }, () => monotonic() - performance.now()))
const serverFlag = "--api-bench-server"

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil((sorted.length * p) / 100) - 1)]!

const podBody = (namespace: string, name: string): string =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { bench: "api" } },
    spec: { containers: [{ name: "main", image: "nginx:1.25", ports: [{ containerPort: 80 }] }] }
  })

// ---------------------------------------------------------------------------------------------
// the server (child process)

const runServer = async (args: ReadonlyArray<string>): Promise<void> => {
  const { startServe } = await import("../apps/api/src/Serve.js")
  const { tuneJitTiering } = await import("../apps/api/src/JitTiering.js")
  tuneJitTiering() // as the serve entry (apps/api/src/node.ts) does
  const { parseServeFlags } = await import("../apps/api/src/ServeFlags.js")
  const dir = option(args, "dir", "")
  // as `npm run serve -- --host 127.0.0.1 --port 0 --nodes N --store sqlite:PATH|memory` starts it (real clock, simulated runtime)
  const flags = parseServeFlags([
    ...["--host", "127.0.0.1", "--port", "0", "--nodes", option(args, "nodes", "0")],
    ...["--store", option(args, "store", "sqlite") === "memory" ? "memory" : `sqlite:${join(dir, "cluster.db")}`]
  ])
  if (typeof flags === "string") throw new Error(flags)
  // the server's CPU so far, and its event-loop delay and GC pauses since the previous call
  const { constants, monitorEventLoopDelay, PerformanceObserver } = await import("node:perf_hooks")
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const gc = { count: 0, minor: 0, totalMs: 0, maxMs: 0 }
  // --timeline: each request's arrival (its head parsed) and answer (about to be written), by client port
  const timeline =
    option(args, "timeline", "off") === "on"
      ? { requests: [] as Array<[port: number, arrived: number, finished: number]>, gc: [] as Array<[number, number]> }
      : undefined
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count += 1
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor += 1
      gc.totalMs += entry.duration
      if (timeline !== undefined) timeline.gc.push([clockOffset + entry.startTime, entry.duration])
      gc.maxMs = Math.max(gc.maxMs, entry.duration)
    }
  }).observe({ entryTypes: ["gc"] })
  // --heap-sample=FILE: every allocation sampled (garbage included) from listening to the end, as a .heapprofile
  const heapSample = option(args, "heap-sample", "")
  // --cpu-prof=DIR: the CPU profile of each measured phase (warm-up excluded), as DIR/<phase>.cpuprofile
  const cpuProf = option(args, "cpu-prof", "")
  const inspector = heapSample === "" && cpuProf === "" ? undefined : new (await import("node:inspector")).Session()
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      inspector!.post(method, params, (error, result) => (error === null ? resolve(result) : reject(error)))
    )
  if (inspector !== undefined) inspector.connect()
  if (cpuProf !== "") {
    await post("Profiler.enable")
    await post("Profiler.setSamplingInterval", { interval: Number(option(args, "cpu-prof-interval", "1000")) })
  }

  /** The bench's routes beside the API's, on the same app, middleware and adapter; the app to serve. */
  const extend = (app: Hono): Hono => {
    // the bare route: the same JSON body parsed, 201, no cluster
    app.post("/bench/bare", async (c) => c.json(await c.req.json(), 201))
    app.get("/bench/cpu", (c) => {
      const used = process.cpuUsage()
      const stats: ServerStats = {
        cpuUs: used.user + used.system,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        gcCount: gc.count,
        gcMinor: gc.minor,
        gcTotalMs: gc.totalMs,
        gcMaxMs: gc.maxMs
      }
      loop.reset()
      Object.assign(gc, { count: 0, minor: 0, totalMs: 0, maxMs: 0 })
      return c.json(stats)
    })
    app.get("/bench/timeline", (c) => {
      const since = Number(c.req.query("since") ?? "0")
      const taken = timeline ?? { requests: [], gc: [] }
      const answer = c.json({
        requests: taken.requests.filter((r) => r[1] >= since),
        gc: taken.gc.filter((g) => g[0] + g[1] >= since)
      })
      taken.requests = []
      taken.gc = []
      return answer
    })
    if (cpuProf !== "") {
      app.post("/bench/profile/start", async (c) => {
        await post("Profiler.start")
        return c.body(null, 204)
      })
      app.post("/bench/profile/stop", async (c) => {
        const { profile } = (await post("Profiler.stop")) as { profile: unknown }
        writeFileSync(join(cpuProf, `${c.req.query("phase") ?? "phase"}.cpuprofile`), JSON.stringify(profile))
        return c.body(null, 204)
      })
    }
    // --watch-path=stream: watches through the web-stream path (as on workerd), for a same-build comparison
    const streamed =
      option(args, "watch-path", "node") === "stream"
        ? Object.assign(Object.create(app) as Hono, { fetch: (request: Request) => app.fetch(request) })
        : app
    if (timeline === undefined) return streamed
    return Object.assign(Object.create(streamed) as Hono, {
      fetch: (request: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => {
        const record: [number, number, number] = [env.incoming.socket.remotePort ?? 0, monotonic(), 0]
        timeline.requests.push(record)
        // settled just before @hono/node-server writes the answer
        return Promise.resolve(streamed.fetch(request, env)).then((response) => {
          record[2] = monotonic()
          return response
        })
      }
    })
  }

  const served = await startServe(flags, dir, {
    extend,
    reuseWrittenJson: option(args, "json-reuse", "on") === "on"
  })
  if ("_tag" in served) throw new Error(served.message)
  if (heapSample !== "") {
    await post("HeapProfiler.enable")
    await post("HeapProfiler.startSampling", {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true
    })
  }
  process.stdout.write(`${served.url}\n`)
  process.once("SIGTERM", () => {
    const heap =
      heapSample === ""
        ? Promise.resolve()
        : post("HeapProfiler.stopSampling").then((result) =>
            writeFileSync(heapSample, JSON.stringify((result as { profile: unknown }).profile))
          )
    void heap.then(() => served.close()).then(() => process.exit(0))
  })
}

// ---------------------------------------------------------------------------------------------
// the clients (this process)

const startServer = (args: ReadonlyArray<string>, dir: string): Promise<{ child: ChildProcess; url: string }> =>
  new Promise((resolve, reject) => {
    const prof = option(args, "cpu-prof", "")
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        serverFlag,
        `--dir=${dir}`,
        `--nodes=${option(args, "nodes", "0")}`,
        `--store=${option(args, "store", "sqlite")}`,
        `--watch-path=${option(args, "watch-path", "node")}`,
        `--heap-sample=${option(args, "heap-sample", "")}`,
        `--json-reuse=${option(args, "json-reuse", "on")}`,
        `--cpu-prof=${prof}`,
        `--timeline=${option(args, "timeline", "off")}`,
        `--cpu-prof-interval=${option(args, "cpu-prof-interval", "1000")}`
      ],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const url = /^(http:\/\/\S+)\n/m.exec(out)?.[1]
      if (url !== undefined) resolve({ child, url })
    })
    child.once("exit", (code) => reject(new Error(`bench server exited (${code}) before listening`)))
  })

const agent = new Agent({ keepAlive: true, maxSockets: 256 })

/** One request; resolves with the status once the whole answer is read. */
const send = (url: URL, method: string, body?: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers:
          body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
      },
      (res) => {
        res.on("data", () => undefined)
        res.on("end", () => resolve(res.statusCode ?? 0))
      }
    )
    req.on("error", reject)
    req.end(body)
  })

interface ServerStats {
  readonly cpuUs: number
  /** event-loop delay since the previous call (monitorEventLoopDelay, 1 ms resolution) */
  readonly loopDelayP99Ms: number
  readonly loopDelayMaxMs: number
  /** GC pauses since the previous call */
  readonly gcCount: number
  /** young-generation collections (scavenges) */
  readonly gcMinor: number
  readonly gcTotalMs: number
  readonly gcMaxMs: number
}

const serverStats = async (base: string): Promise<ServerStats> =>
  new Promise((resolve, reject) => {
    request(new URL("/bench/cpu", base), { agent }, (res) => {
      let text = ""
      res.on("data", (c: Buffer) => {
        text += c.toString()
      })
      res.on("end", () => resolve(JSON.parse(text) as ServerStats))
    })
      .on("error", reject)
      .end()
  })

/**
 * One keep-alive HTTP/1.1 connection that sends pre-built requests one at a time and reads each
 * answer's status and Content-Length body: far cheaper per request than `http.request`, so 50 of
 * them in one process do not saturate the client's core before the server's.
 */
class RawConnection {
  private chunks: Array<Buffer> = []
  private size = 0
  private waiting: { resolve: (status: number) => void; reject: (e: Error) => void } | undefined
  private socket: Socket | undefined
  private closing = false
  constructor(private readonly url: URL) {}

  /** Connects now (and again after the server closed the idle connection: its keep-alive timeout). */
  open(): Promise<this> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(this.url.port), this.url.hostname, () => {
        socket.off("error", reject)
        resolve(this)
      })
      socket.once("error", reject)
      socket.setNoDelay(true)
      socket.on("data", (chunk: Buffer) => {
        this.chunks.push(chunk)
        this.size += chunk.length
        this.parse()
      })
      socket.on("error", (e) => this.fail(e))
      socket.on("close", () => {
        if (this.socket === socket) this.socket = undefined
        this.fail(new Error("connection closed"))
      })
      this.socket = socket
    })
  }

  /** Sends one request (all its bytes); resolves with the status once the whole answer is read. */
  async send(bytes: Buffer): Promise<number> {
    if (this.socket === undefined && !this.closing) await this.open()
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.keep(undefined)
      this.socket!.write(bytes)
    })
  }

  /** the local port (the server sees it as the remote port) */
  get port(): number {
    return this.socket?.localPort ?? 0
  }

  close(): void {
    this.closing = true
    this.socket?.destroy()
  }

  private fail(e: Error): void {
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.reject(e)
  }

  private parse(): void {
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size)
    const end = data.indexOf("\r\n\r\n")
    const head = end < 0 ? "" : data.toString("latin1", 0, end)
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1]
    const total = length === undefined ? Number.NaN : end + 4 + Number(length)
    if (end >= 0 && length === undefined) this.fail(new Error(`answer without Content-Length: ${head}`))
    else if (data.length > total) this.fail(new Error("unexpected bytes after an answer"))
    else if (end < 0 || data.length < total) this.keep(data)
    else {
      this.keep(undefined)
      const waiting = this.waiting
      this.waiting = undefined
      waiting?.resolve(Number(head.slice(9, 12)))
    }
  }

  private keep(data: Buffer | undefined): void {
    this.chunks = data === undefined ? [] : [data]
    this.size = data?.length ?? 0
  }
}

/** A POST's bytes, built before the clock starts. */
const postBytes = (url: URL, path: string, body: string): Buffer =>
  Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )

interface Phase {
  readonly requests: number
  readonly wallMs: number
  readonly perSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** the server's CPU time per request (user + system) */
  readonly serverCpuUsPerRequest: number
  /** this (client) process's CPU time per request: the clients must not be the bottleneck */
  readonly clientCpuUsPerRequest: number
  /** the server's event-loop delay and GC pauses during the phase */
  readonly loopDelayP99Ms: number
  readonly loopDelayMaxMs: number
  readonly gcTotalMs: number
  readonly gcMaxMs: number
  /** requests per young-generation collection (each one pauses every request in flight) */
  readonly requestsPerScavenge: number
  /** with `--timeline=on`: where the time of the median and of the slowest 1% of requests went */
  readonly timeline?: { readonly median: Breakdown; readonly slowest: Breakdown }
}

/** Mean milliseconds of a band of requests: sent to parsed, parsed to answered, answered to read; GC overlapping. */
interface Breakdown {
  readonly inboundMs: number
  readonly serverMs: number
  readonly outboundMs: number
  readonly gcMs: number
}

const fetchJson = <A>(url: URL): Promise<A> =>
  new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let text = ""
      res.on("data", (c: Buffer) => {
        text += c.toString()
      })
      res.on("end", () => resolve(JSON.parse(text) as A))
    })
      .on("error", reject)
      .end()
  })

/**
 * Pairs the client's requests with the server's records of them (by connection, in order) and
 * splits the latency of the median band (45th-55th percentile) and of the slowest 1%.
 */
const timelineOf = async (
  base: string,
  since: number,
  sent: ReadonlyArray<readonly [port: number, sent: number, received: number]>
): Promise<{ readonly median: Breakdown; readonly slowest: Breakdown }> => {
  const server = await fetchJson<{
    requests: ReadonlyArray<readonly [number, number, number]>
    gc: ReadonlyArray<readonly [number, number]>
  }>(new URL(`/bench/timeline?since=${since - 1000}`, base))
  const byPort = new Map<number, Array<readonly [number, number, number]>>()
  for (const r of server.requests) {
    const list = byPort.get(r[0]) ?? []
    list.push(r)
    byPort.set(r[0], list)
  }
  const rows = sent.map(([port, sentAt, receivedAt]) => {
    // requests on one connection are sequential: the server's record of this one arrived in between
    const [, arrived, finished] = byPort.get(port)?.find((r) => r[1] >= sentAt && r[1] <= receivedAt) ?? [
      port,
      Number.NaN,
      Number.NaN
    ]
    let gcMs = 0
    for (const [start, duration] of server.gc) {
      gcMs += Math.max(0, Math.min(receivedAt, start + duration) - Math.max(sentAt, start))
    }
    return {
      latency: receivedAt - sentAt,
      inbound: arrived - sentAt,
      server: finished - arrived,
      outbound: receivedAt - finished,
      gcMs
    }
  })
  rows.sort((a, b) => a.latency - b.latency)
  const band = (from: number, to: number): Breakdown => {
    const picked = rows.slice(
      Math.floor(rows.length * from),
      Math.max(Math.floor(rows.length * from) + 1, Math.floor(rows.length * to))
    )
    const mean = (f: (r: (typeof rows)[number]) => number) =>
      round(picked.reduce((sum, r) => sum + f(r), 0) / picked.length)
    return {
      inboundMs: mean((r) => r.inbound),
      serverMs: mean((r) => r.server),
      outboundMs: mean((r) => r.outbound),
      gcMs: mean((r) => r.gcMs)
    }
  }
  return { median: band(0.45, 0.55), slowest: band(0.99, 1) }
}

/** `count` POSTs over the `connections` (one closed-loop client each); `path(i)` and `body(i)` name each. */
const load = async (
  base: string,
  count: number,
  connections: ReadonlyArray<RawConnection>,
  path: (i: number) => string,
  body: (i: number) => string,
  timeline = false
): Promise<Phase> => {
  const url = new URL(base)
  const requests = Array.from({ length: count }, (_, i) => postBytes(url, path(i), body(i)))
  const latencies: Array<number> = []
  const sent: Array<readonly [number, number, number]> = []
  let next = 0
  const before = await serverStats(base)
  const clientBefore = process.cpuUsage()
  const start = performance.now()
  const client = async (connection: RawConnection) => {
    while (next < count) {
      const i = next++
      const t0 = performance.now()
      const m0 = timeline ? monotonic() : 0
      const status = await connection.send(requests[i]!)
      const t1 = performance.now()
      latencies.push(t1 - t0)
      if (timeline) sent.push([connection.port, m0, monotonic()])
      if (status !== 201) throw new Error(`POST ${path(i)}: ${status}`)
    }
  }
  await Promise.all(connections.map(client))
  const wallMs = performance.now() - start
  const clientCpu = process.cpuUsage(clientBefore)
  const after = await serverStats(base)
  const cpuUs = after.cpuUs - before.cpuUs
  latencies.sort((a, b) => a - b)
  const split = timeline ? await timelineOf(base, clockOffset + start, sent) : undefined
  return {
    ...(split === undefined ? {} : { timeline: split }),
    requests: count,
    wallMs: round(wallMs, 0),
    perSec: round((count * 1000) / wallMs, 0),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    serverCpuUsPerRequest: round(cpuUs / count, 0),
    clientCpuUsPerRequest: round((clientCpu.user + clientCpu.system) / count, 0),
    loopDelayP99Ms: round(after.loopDelayP99Ms),
    loopDelayMaxMs: round(after.loopDelayMaxMs),
    gcTotalMs: round(after.gcTotalMs),
    gcMaxMs: round(after.gcMaxMs),
    requestsPerScavenge: round(count / Math.max(1, after.gcMinor), 0)
  }
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string }
  readonly children?: ReadonlyArray<number>
}

/** What a stretch of the server's main thread did, from the frames of a CPU profile sample (first match). */
const stallCauses: ReadonlyArray<readonly [string, (frames: ReadonlyArray<ProfileNode["callFrame"]>) => boolean]> = [
  ["GC", (frames) => frames[0]?.functionName === "(garbage collector)"],
  ["SQLite", (frames) => frames.some((f) => f.url.includes("better-sqlite3"))],
  ["controllers", (frames) => frames.some((f) => f.url.includes("/core/src/control/"))]
]

/**
 * The longest uninterrupted stretches of each cause in a phase's CPU profile (`--cpu-prof`):
 * each one stalls every request in flight. A summary line.
 */
const stallsOf = (path: string): string => {
  const profile = JSON.parse(readFileSync(path, "utf8")) as {
    nodes: ReadonlyArray<ProfileNode>
    samples: ReadonlyArray<number>
    timeDeltas: ReadonlyArray<number>
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const spans = stallCauses.map(() => [] as Array<number>)
  const open = stallCauses.map(() => 0)
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const frames: Array<ProfileNode["callFrame"]> = []
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      frames.push(byId.get(id)!.callFrame)
    }
    stallCauses.forEach(([, matches], c) => {
      if (matches(frames)) open[c]! += ms
      else if (open[c]! > 0) {
        spans[c]!.push(open[c]!)
        open[c] = 0
      }
    })
  }
  return stallCauses
    .map(([cause], c) => {
      const sorted = [...spans[c]!, open[c]!].filter((ms) => ms > 0).sort((a, b) => b - a)
      const over = sorted.filter((ms) => ms > 5)
      return `${cause}: ${over.length} stretches > 5 ms (${round(
        over.reduce((a, b) => a + b, 0),
        0
      )} ms), longest ${sorted
        .slice(0, 3)
        .map((ms) => round(ms, 1))
        .join(", ")} ms`
    })
    .join("; ")
}

/** `watchers` watches on one namespace; `events` creates one at a time; latency from send to each ADDED. */
const watchDelivery = async (base: string, watchers: number, events: number) => {
  const namespace = "bench-watch"
  await send(new URL("/api/v1/namespaces", base), "POST", JSON.stringify({ metadata: { name: namespace } }))
  const sentAt = new Map<string, number>()
  const latencies: Array<number> = []
  const pending = new Map<string, number>()
  const done = new Map<string, () => void>()
  const watchAgent = new Agent({ keepAlive: false, maxSockets: watchers + 1 })
  const requests: Array<ReturnType<typeof request>> = []
  await Promise.all(
    Array.from(
      { length: watchers },
      () =>
        new Promise<void>((ready, reject) => {
          const req = request(
            new URL(`/api/v1/namespaces/${namespace}/pods?watch=1`, base),
            { agent: watchAgent },
            (res) => {
              let buffer = ""
              res.setEncoding("utf8")
              res.on("data", (chunk: string) => {
                const now = performance.now()
                buffer += chunk
                let nl = buffer.indexOf("\n")
                while (nl >= 0) {
                  const line = buffer.slice(0, nl)
                  buffer = buffer.slice(nl + 1)
                  nl = buffer.indexOf("\n")
                  if (line === "") continue
                  const event = JSON.parse(line) as { type: string; object: { metadata: { name: string } } }
                  if (event.type !== "ADDED") continue
                  const name = event.object.metadata.name
                  latencies.push(now - sentAt.get(name)!)
                  const left = pending.get(name)! - 1
                  pending.set(name, left)
                  if (left === 0) done.get(name)?.()
                }
              })
              ready()
            }
          )
          req.on("error", reject)
          req.end()
          requests.push(req)
        })
    )
  )
  const cpuBefore = (await serverStats(base)).cpuUs
  for (let i = 0; i < events; i++) {
    const name = `w-${i}`
    const delivered = new Promise<void>((resolve) => done.set(name, resolve))
    pending.set(name, watchers)
    sentAt.set(name, performance.now())
    const status = await send(new URL(`/api/v1/namespaces/${namespace}/pods`, base), "POST", podBody(namespace, name))
    if (status !== 201) throw new Error(`watch create: ${status}`)
    await delivered
  }
  const cpuUs = (await serverStats(base)).cpuUs - cpuBefore
  for (const req of requests) req.destroy()
  watchAgent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    watchers,
    events,
    deliveries: latencies.length,
    /** the server's CPU per delivered event (its create's share included) */
    serverCpuUsPerDelivery: round(cpuUs / latencies.length, 1),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN)
  }
}

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  if (args.includes(serverFlag)) return runServer(args)
  const creates = Number(option(args, "creates", "5000"))
  const clients = Number(option(args, "clients", "50"))
  const watchers = Number(option(args, "watchers", "100"))
  const watchEvents = Number(option(args, "watch-events", "200"))
  const store = option(args, "store", "sqlite")
  const dir = mkdtempSync(join(tmpdir(), "podlet-bench-api-"))
  const { child, url } = await startServer(args, dir)
  const connections = await Promise.all(Array.from({ length: clients }, () => new RawConnection(new URL(url)).open()))
  try {
    process.stdout.write(
      `api bench: ${creates} pod creates from ${clients} clients (${store} store, ${option(args, "nodes", "0")} nodes), ` +
        `bare route alike; watch delivery to ${watchers} watchers x ${watchEvents} events\n`
    )
    const api = (i: number, prefix: string) => podBody("default", `${prefix}-${i}`)
    const phases = option(args, "phases", "bare,create,watch").split(",")
    const watching = phases.includes("watch")
    /** warm-up (JIT, connections), then the measured run */
    const phase = async (name: string, path: string, prefix: string): Promise<Phase | undefined> => {
      if (!phases.includes(name)) return undefined
      await load(
        url,
        Number(option(args, "warmup", String(Math.min(500, creates)))),
        connections,
        () => path,
        (i) => api(i, `warm-${prefix}`)
      )
      const profiling = option(args, "cpu-prof", "") !== ""
      if (profiling) await send(new URL("/bench/profile/start", url), "POST")
      const measured = await load(
        url,
        creates,
        connections,
        () => path,
        (i) => api(i, prefix),
        option(args, "timeline", "off") === "on"
      )
      if (profiling) {
        await send(new URL(`/bench/profile/stop?phase=${name}`, url), "POST")
        process.stdout.write(`${name}: ${stallsOf(join(option(args, "cpu-prof", ""), `${name}.cpuprofile`))}\n`)
      }
      return measured
    }
    const bare = await phase("bare", "/bench/bare", "bare")
    const create = await phase("create", "/api/v1/namespaces/default/pods", "p")
    const created =
      bare === undefined || create === undefined
        ? undefined
        : { bare, create, ratio: round(create.perSec / bare.perSec) }
    const profiling = option(args, "cpu-prof", "") !== ""
    if (watching && profiling) await send(new URL("/bench/profile/start", url), "POST")
    const watch = watching ? await watchDelivery(url, watchers, watchEvents) : undefined
    if (watching && profiling) {
      await send(new URL("/bench/profile/stop?phase=watch", url), "POST")
      process.stdout.write(`watch: ${stallsOf(join(option(args, "cpu-prof", ""), "watch.cpuprofile"))}\n`)
    }
    const line = (name: string, p: Phase) =>
      `${name}: ${p.perSec} req/s (${p.wallMs} ms wall), p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, server CPU ${p.serverCpuUsPerRequest} µs/request ` +
      `(client ${p.clientCpuUsPerRequest} µs); server event-loop delay p99 ${p.loopDelayP99Ms} ms, max ${p.loopDelayMaxMs} ms; ` +
      `GC ${p.gcTotalMs} ms, longest pause ${p.gcMaxMs} ms, a scavenge every ${p.requestsPerScavenge} requests\n`
    const split = (name: string, p: Phase) => {
      if (p.timeline === undefined) return
      const text = (b: Breakdown) =>
        `sent->parsed ${b.inboundMs} ms, parsed->answered ${b.serverMs} ms, answered->read ${b.outboundMs} ms, GC during ${b.gcMs} ms`
      process.stdout.write(
        `${name} timeline: median band: ${text(p.timeline.median)}; slowest 1%: ${text(p.timeline.slowest)}\n`
      )
    }
    if (bare !== undefined) process.stdout.write(line("bare route", bare))
    if (create !== undefined) process.stdout.write(line("pod create", create))
    if (bare !== undefined) split("bare route", bare)
    if (create !== undefined) split("pod create", create)
    if (created !== undefined) process.stdout.write(`ratio create/bare: ${created.ratio} (target >= ${target.ratio})\n`)
    if (watch !== undefined) {
      process.stdout.write(
        `watch delivery: p50 ${watch.p50Ms} ms, p99 ${watch.p99Ms} ms, max ${watch.maxMs} ms over ${watch.deliveries} deliveries, server CPU ${watch.serverCpuUsPerDelivery} µs/delivery (target p99 < ${target.watchP99Ms} ms)\n`
      )
    }
    const pass =
      created !== undefined &&
      watch !== undefined &&
      created.ratio >= target.ratio &&
      created.create.p99Ms < target.createP99Ms &&
      watch.p99Ms < target.watchP99Ms
    const result = { creates, clients, store, ...created, watch, target, pass }
    process.stdout.write(`RESULT api ${JSON.stringify(result)}\n`)
  } finally {
    for (const connection of connections) connection.close()
    child.kill("SIGTERM")
    await new Promise<void>((resolve) => child.once("exit", () => resolve()))
    agent.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv.includes(serverFlag)) await runServer(process.argv.slice(2))
