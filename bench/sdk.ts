/**
 * The SDK benchmark (issue 7): P pods (one `pause` container, image preloaded, grace period 0) are
 * created, waited for until Running, then deleted and waited for until gone, once through the SDK's
 * Promise API on an embedded cluster (`createCluster`, one awaited call per step as a user writes
 * it: `apply`, `waitFor(name, { phase: "Running" })`, `pods.delete`, `pods.list` until empty) and
 * once through the core engine directly (one Effect program over `makeCluster` on the same
 * VirtualClock and the same cluster options, making the same calls: apply, get until Running
 * stepping the clock a second at a time as `waitFor` does, delete, list until empty), in one run.
 * A small warm-up of both sides runs first (unmeasured) so neither pays for the JIT alone, and a
 * full GC precedes each measured side. Prints wall and CPU time per phase and in total, pods/s and
 * the overhead ratio SDK / core (target <= 1.2); ends with `RESULT sdk {json}`.
 *
 * Options: `--pods=10000 --nodes=<pods/100> --warmup=200 --order=abba|core-first|sdk-first --side=both|core|sdk --profile`
 * (abba, the default: core, sdk, sdk, core, each side's two runs added up, as whichever side runs first
 * pays more; side: one side alone; profile: a .cpuprofile of the measured runs only, in bench/profiles).
 * Nodes default to one per 100 pods: a node's podCIDR is a /24 (253 pod IPs), and a kubelet's default
 * is 110 pods, so more pods per node would fail their sandboxes for want of an IP, as they would on a real node.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import type { Pod } from "@podlet/core/api/Pod"
import { makeCluster } from "@podlet/core/Cluster"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import { Effect } from "effect"
import { createCluster } from "../packages/sdk/src/index.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const here = dirname(fileURLToPath(import.meta.url))
const target = { ratio: 1.2 }
const pauseImage = "registry.k8s.io/pause:3.10"

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits

const podObject = (i: number): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `p-${i}`, namespace: "default", labels: { bench: "sdk" } },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: "pause", image: pauseImage, imagePullPolicy: "IfNotPresent" }]
  }
})

const nodes = (count: number, pods: number) =>
  Array.from({ length: count }, (_, i) => ({
    name: `node-${i + 1}`,
    pods: String(Math.ceil(pods / count) + 10),
    images: [pauseImage]
  }))

/** Wall and CPU time (user + system of this process: steadier than wall time on a shared machine). */
interface Span {
  readonly wallMs: number
  readonly cpuMs: number
}

interface Figure extends Span {
  readonly podsPerSec: number
  readonly phases: { readonly create: Span; readonly running: Span; readonly delete: Span; readonly gone: Span }
}

/** Starts a stopwatch; the returned function reads it. */
const stopwatch = () => {
  const wall = performance.now()
  const cpu = process.cpuUsage()
  return (): Span => {
    const used = process.cpuUsage(cpu)
    return { wallMs: round(performance.now() - wall, 0), cpuMs: round((used.user + used.system) / 1000, 0) }
  }
}

/** Times the four phases of one side; `total` covers them all. */
const phases = () => {
  const total = stopwatch()
  let lap = stopwatch()
  const spans: Array<Span> = []
  return {
    lap: () => {
      spans.push(lap())
      lap = stopwatch()
    },
    done: (pods: number): Figure => {
      const all = total()
      const [create, running, del, gone] = spans as [Span, Span, Span, Span]
      return {
        ...all,
        podsPerSec: round((pods * 1000) / all.wallMs, 1),
        phases: { create, running, delete: del, gone }
      }
    }
  }
}

/** Every 1,000 pods created, the CPU time the last thousand took, on stderr (long runs show their pace). */
const progress = (side: string, pods: number) => {
  let lap = stopwatch()
  return (i: number): void => {
    if ((i + 1) % 1000 !== 0 || pods < 5000) return
    const span = lap()
    process.stderr.write(`${side}: ${i + 1}/${pods} created, last 1000: ${span.wallMs} ms wall, ${span.cpuMs} ms CPU\n`)
    lap = stopwatch()
  }
}

/** The core engine directly: one Effect program. */
const viaCore = (pods: number, nodeCount: number): Promise<Figure> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const cluster = yield* makeCluster({ nodes: nodes(nodeCount, pods) })
      const time = phases()
      const tick = progress("core", pods)
      for (let i = 0; i < pods; i++) {
        yield* cluster.apply(podObject(i))
        tick(i)
      }
      time.lap()
      for (let i = 0; i < pods; i++) {
        while ((yield* cluster.pod(`p-${i}`))?.status?.phase !== "Running") yield* cluster.advance(1_000)
      }
      time.lap()
      for (let i = 0; i < pods; i++) yield* cluster.delete("pods", `p-${i}`)
      time.lap()
      while ((yield* cluster.list("pods")).length > 0) yield* cluster.advance(1_000)
      time.lap()
      return time.done(pods)
    }).pipe(Effect.scoped, Effect.provide(VirtualClock.layer()), Effect.orDie)
  )

/** The SDK's Promise API on an embedded cluster (virtual clock, the default). */
const viaSdk = async (pods: number, nodeCount: number): Promise<Figure> => {
  const cluster = await createCluster({ nodes: nodes(nodeCount, pods) })
  try {
    const time = phases()
    const tick = progress("sdk", pods)
    for (let i = 0; i < pods; i++) {
      await cluster.apply(podObject(i))
      tick(i)
    }
    time.lap()
    for (let i = 0; i < pods; i++) await cluster.waitFor(`p-${i}`, { phase: "Running" })
    time.lap()
    for (let i = 0; i < pods; i++) await cluster.pods.delete(`p-${i}`)
    time.lap()
    while ((await cluster.pods.list()).length > 0) await cluster.clock.advance(1_000)
    time.lap()
    return time.done(pods)
  } finally {
    await cluster.close()
  }
}

const addSpans = (a: Span, b: Span): Span => ({ wallMs: a.wallMs + b.wallMs, cpuMs: a.cpuMs + b.cpuMs })

/** Two runs of one side as one figure over `pods` (both runs' pods). */
const add = (a: Figure, b: Figure, pods: number): Figure => {
  const all = addSpans(a, b)
  return {
    ...all,
    podsPerSec: round((pods * 1000) / all.wallMs, 1),
    phases: {
      create: addSpans(a.phases.create, b.phases.create),
      running: addSpans(a.phases.running, b.phases.running),
      delete: addSpans(a.phases.delete, b.phases.delete),
      gone: addSpans(a.phases.gone, b.phases.gone)
    }
  }
}

const line = (label: string, f: Figure): string => {
  const p = f.phases
  const span = (s: Span) => `${s.wallMs}/${s.cpuMs}`
  return (
    `${label}: ${f.wallMs} ms wall, ${f.cpuMs} ms CPU (${f.podsPerSec} pods/s); wall/CPU ms: create ${span(p.create)}, ` +
    `running ${span(p.running)}, delete ${span(p.delete)}, gone ${span(p.gone)}\n`
  )
}

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const pods = Number(option(args, "pods", "10000"))
  const nodeCount = Number(option(args, "nodes", String(Math.max(1, Math.ceil(pods / 100)))))
  const warmup = Number(option(args, "warmup", "200"))
  const order = option(args, "order", "abba")
  const sdkFirst = order === "sdk-first"
  const side = option(args, "side", "both")
  process.stdout.write(
    `sdk bench: ${pods} pods on ${nodeCount} nodes, create -> Running -> delete -> gone (warm-up ${warmup})\n`
  )
  if (warmup > 0) {
    if (side !== "sdk") await viaCore(warmup, nodeCount)
    if (side !== "core") await viaSdk(warmup, nodeCount)
  }
  const session = args.includes("--profile") ? new Session() : undefined
  const measured = async (run: typeof viaCore): Promise<Figure> => {
    gc()
    if (session === undefined) return run(pods, nodeCount)
    session.connect()
    await session.post("Profiler.enable")
    await session.post("Profiler.start")
    const figure = await run(pods, nodeCount)
    const { profile } = await session.post("Profiler.stop")
    session.disconnect()
    const dir = join(here, "profiles")
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `sdk-${run === viaSdk ? "sdk" : "core"}-${pods}.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
    process.stdout.write(`profile: ${file}\n`)
    return figure
  }
  if (side !== "both") {
    const figure = await measured(side === "sdk" ? viaSdk : viaCore)
    process.stdout.write(line(side, figure))
    process.stdout.write(`RESULT sdk ${JSON.stringify({ pods, nodes: nodeCount, side, [side]: figure })}\n`)
    return
  }
  const first = await measured(sdkFirst ? viaSdk : viaCore)
  const second = await measured(sdkFirst ? viaCore : viaSdk)
  let [core, sdk] = sdkFirst ? [second, first] : [first, second]
  if (order === "abba") {
    // the side measured first pays more (by 20-30% of CPU here): run sdk then core again and add them up
    sdk = add(sdk, await measured(viaSdk), pods * 2)
    core = add(core, await measured(viaCore), pods * 2)
  }
  const ratio = round(sdk.wallMs / core.wallMs)
  const cpuRatio = round(sdk.cpuMs / core.cpuMs)
  process.stdout.write(line("core engine", core))
  process.stdout.write(line("sdk (Promise API, embedded)", sdk))
  process.stdout.write(`overhead ratio sdk/core: ${ratio} wall, ${cpuRatio} CPU (target <= ${target.ratio})\n`)
  const result = {
    pods,
    nodes: nodeCount,
    order,
    core,
    sdk,
    ratio,
    cpuRatio,
    target: target.ratio,
    pass: ratio <= target.ratio
  }
  process.stdout.write(`RESULT sdk ${JSON.stringify(result)}\n`)
}
