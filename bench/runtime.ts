/**
 * The process runtime benchmark: create-to-Running latency of P pods (one container `sleep 60`,
 * image preloaded) on a one-node cluster over the process runtime in host mode (the Cluster facade:
 * store, kubelet, real processes, the live clock), against the same P processes started with plain
 * `child_process.spawn` in the same run. Two rounds each:
 * - sequential: create one pod, wait until the watch shows it Running, then the next (the cost of
 *   one pod: store write, watch, sync, sandbox, spawn, status write, watch);
 * - burst: create all P at once; each pod's latency is from its own create (queueing included).
 * Plain spawn: from the `spawn` call to its `spawn` event. Prints p50/p99 and the ratios, and ends
 * with `RESULT runtime {json}`. Target: p50 and p99 within 1.5× plain spawn + 5 ms.
 *
 * Options: `--pods=100`.
 */
import { spawn } from "node:child_process"
import type { Pod } from "@podlet/core/api/Pod"
import { makeCluster } from "@podlet/core/Cluster"
import { RuntimeProcess, thisMachine } from "@podlet/platform-node/RuntimeProcess"
import { Deferred, Effect, Stream } from "effect"

const image = "busybox:1.36"
const target = { factor: 1.5, plusMs: 5 }

const option = (args: ReadonlyArray<string>, name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const quantile = (values: ReadonlyArray<number>, q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits

interface Figures {
  readonly p50: number
  readonly p99: number
}

const figures = (latencies: ReadonlyArray<number>): Figures => ({
  p50: round(quantile(latencies, 0.5)),
  p99: round(quantile(latencies, 0.99))
})

const podObject = (name: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: {
    nodeName: "n1",
    terminationGracePeriodSeconds: 0,
    containers: [{ name: "sleep", image, imagePullPolicy: "IfNotPresent", command: ["sleep", "60"] }]
  }
})

/** Plain spawn: latency from the call to the `spawn` event; sequential (one at a time) or all at once. */
const plainSpawn = async (count: number, burst: boolean): Promise<ReadonlyArray<number>> => {
  const children: Array<ReturnType<typeof spawn>> = []
  const one = (): Promise<number> => {
    const start = performance.now()
    const child = spawn("sleep", ["60"], { detached: true, stdio: ["ignore", "pipe", "pipe"] })
    children.push(child)
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve(performance.now() - start))
      child.once("error", reject)
    })
  }
  let latencies: Array<number> = []
  if (burst) latencies = await Promise.all(Array.from({ length: count }, one))
  else for (let i = 0; i < count; i++) latencies.push(await one())
  for (const child of children) if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
  return latencies
}

/** Pods on the process runtime: latency from `create` to the watch showing the pod Running. */
const podsOnProcessRuntime = (count: number, burst: boolean) =>
  Effect.gen(function* () {
    const cluster = yield* makeCluster({
      ...RuntimeProcess.clusterOptions(),
      nodes: [{ ...thisMachine("n1"), images: [image] }],
      kubernetesService: false
    })
    const running = new Map<string, Deferred.Deferred<number>>()
    for (let i = 0; i < count; i++) running.set(`p-${i}`, Deferred.makeUnsafe<number>())
    yield* cluster.store.watch<Pod>("pods", { namespace: "default" }).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          const pod = event.object
          if (pod.status?.phase !== "Running") return
          const done = running.get(pod.metadata.name ?? "")
          if (done !== undefined) Deferred.doneUnsafe(done, Effect.succeed(performance.now()))
        })
      ),
      Effect.forkScoped
    )
    yield* Effect.yieldNow
    const one = (i: number) =>
      Effect.gen(function* () {
        const start = performance.now()
        yield* cluster.store.create("pods", podObject(`p-${i}`)).pipe(Effect.orDie)
        const at = yield* Deferred.await(running.get(`p-${i}`)!)
        return at - start
      })
    const wall0 = performance.now()
    const latencies = burst
      ? yield* Effect.forEach(
          Array.from({ length: count }, (_, i) => i),
          one,
          { concurrency: "unbounded" }
        )
      : yield* Effect.forEach(
          Array.from({ length: count }, (_, i) => i),
          one
        )
    return { latencies, wallMs: performance.now() - wall0 }
  }).pipe(Effect.scoped)

const within = (runtime: Figures, plain: Figures): boolean =>
  runtime.p50 <= plain.p50 * target.factor + target.plusMs && runtime.p99 <= plain.p99 * target.factor + target.plusMs

export const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const pods = Number(option(args, "pods", "100"))
  // warm-up: the first spawns and the first cluster pay for module loading and JIT
  await plainSpawn(10, false)
  await Effect.runPromise(podsOnProcessRuntime(10, false))
  const lines: Array<string> = []
  const result: Record<string, unknown> = { pods }
  let ok = true
  for (const burst of [false, true]) {
    const mode = burst ? "burst" : "sequential"
    const plain = figures(await plainSpawn(pods, burst))
    const measured = await Effect.runPromise(podsOnProcessRuntime(pods, burst))
    const host = figures(measured.latencies)
    const ratio = { p50: round(host.p50 / plain.p50), p99: round(host.p99 / plain.p99) }
    const pass = within(host, plain)
    ok &&= pass
    lines.push(
      `${mode}: ${pods} pods create-to-Running p50 ${host.p50} ms, p99 ${host.p99} ms (wall ${round(measured.wallMs, 0)} ms); ` +
        `plain spawn p50 ${plain.p50} ms, p99 ${plain.p99} ms; ratio p50 ${ratio.p50}x, p99 ${ratio.p99}x; ` +
        `target ≤ 1.5x + 5 ms: ${pass ? "met" : "missed"}`
    )
    result[mode] = { host, plain, ratio, wallMs: round(measured.wallMs, 0), targetMet: pass }
  }
  result["targetMet"] = ok
  process.stdout.write(`${lines.join("\n")}\n`)
  process.stdout.write(`RESULT runtime ${JSON.stringify({ ...result, target })}\n`)
}
