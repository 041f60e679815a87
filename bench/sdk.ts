/**
 * The SDK benchmark: P pods (one `pause` container, image preloaded) are created, waited for until
 * Running, then deleted and waited for until gone, once through the SDK's Promise API on an
 * embedded cluster (`createCluster`, one awaited call per step as a user writes it) and once through
 * the core engine directly (one Effect program over `makeCluster`, the same calls: apply, get until
 * Running, delete, list until empty), both on a virtual clock, in one run. Prints the wall time and
 * pods/s of each and the overhead ratio SDK / core (target <= 1.2); ends with `RESULT sdk {json}`.
 *
 * Options: `--pods=10000 --nodes=10 --order=core-first|sdk-first`.
 */
import type { Pod } from "@podlet/core/api/Pod"
import { makeCluster } from "@podlet/core/Cluster"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { createCluster } from "../packages/sdk/src/index.js"

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

interface Figure {
  readonly wallMs: number
  readonly podsPerSec: number
  /** CPU time of this process (user + system): steadier than wall time on a shared machine */
  readonly cpuMs: number
}

/** Starts a measurement; the returned function ends it. */
const measure = (pods: number) => {
  const wall = performance.now()
  const cpu = process.cpuUsage()
  return (): Figure => {
    const wallMs = performance.now() - wall
    const used = process.cpuUsage(cpu)
    return {
      wallMs: round(wallMs, 0),
      podsPerSec: round((pods * 1000) / wallMs, 1),
      cpuMs: round((used.user + used.system) / 1000, 0)
    }
  }
}

/** The core engine directly: one Effect program. */
const viaCore = (pods: number, nodeCount: number): Promise<Figure> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const cluster = yield* makeCluster({ nodes: nodes(nodeCount, pods), kubernetesService: false })
      const done = measure(pods)
      for (let i = 0; i < pods; i++) yield* cluster.apply(podObject(i))
      for (let i = 0; i < pods; i++) {
        while ((yield* cluster.pod(`p-${i}`))?.status?.phase !== "Running") yield* cluster.advance(1_000)
      }
      for (let i = 0; i < pods; i++) yield* cluster.delete("pods", `p-${i}`)
      while ((yield* cluster.list("pods")).length > 0) yield* cluster.advance(1_000)
      return done()
    }).pipe(Effect.scoped, Effect.provide(TestClock.layer()), Effect.orDie)
  )

/** The SDK's Promise API on an embedded cluster. */
const viaSdk = async (pods: number, nodeCount: number): Promise<Figure> => {
  const cluster = await createCluster({ nodes: nodes(nodeCount, pods) })
  try {
    const done = measure(pods)
    for (let i = 0; i < pods; i++) await cluster.apply(podObject(i))
    for (let i = 0; i < pods; i++) await cluster.waitFor(`p-${i}`, { phase: "Running" })
    for (let i = 0; i < pods; i++) await cluster.pods.delete(`p-${i}`)
    while ((await cluster.pods.list()).length > 0) await cluster.clock.advance(1_000)
    return done()
  } finally {
    await cluster.close()
  }
}

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const pods = Number(option(args, "pods", "10000"))
  const nodeCount = Number(option(args, "nodes", "10"))
  const sdkFirst = option(args, "order", "core-first") === "sdk-first"
  process.stdout.write(`sdk bench: ${pods} pods on ${nodeCount} nodes, create -> Running -> delete -> gone\n`)
  const first = sdkFirst ? await viaSdk(pods, nodeCount) : await viaCore(pods, nodeCount)
  const second = sdkFirst ? await viaCore(pods, nodeCount) : await viaSdk(pods, nodeCount)
  const [core, sdk] = sdkFirst ? [second, first] : [first, second]
  const ratio = round(sdk.wallMs / core.wallMs)
  const cpuRatio = round(sdk.cpuMs / core.cpuMs)
  process.stdout.write(`core engine: ${core.wallMs} ms wall, ${core.cpuMs} ms CPU (${core.podsPerSec} pods/s)\n`)
  process.stdout.write(
    `sdk (Promise API, embedded): ${sdk.wallMs} ms wall, ${sdk.cpuMs} ms CPU (${sdk.podsPerSec} pods/s)\n`
  )
  process.stdout.write(`overhead ratio sdk/core: ${ratio} wall, ${cpuRatio} CPU (target <= ${target.ratio})\n`)
  const result = {
    pods,
    nodes: nodeCount,
    core,
    sdk,
    ratio,
    cpuRatio,
    target: target.ratio,
    pass: ratio <= target.ratio
  }
  process.stdout.write(`RESULT sdk ${JSON.stringify(result)}\n`)
}
