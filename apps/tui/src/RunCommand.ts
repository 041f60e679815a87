/**
 * `podlet run FILE... [--for 10m] [--output text|json] [--runtime ...]`: applies the manifests to an
 * embedded cluster and prints every status transition. On the simulated runtime it fast-forwards the
 * virtual clock second by second for `--for`; on the process runtime (real clock) it watches until
 * every pod has finished or `--for` has passed, and prints a finished pod's logs.
 * Exit 0 when the run completes, 1 with a clear message when a manifest is invalid.
 */
import type { Pod } from "@podlet/core"
import { parseManifests } from "@podlet/core/api/Decode"
import { type Cluster, makeCluster } from "@podlet/core/Cluster"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import { Clock, Effect, Result } from "effect"
import type { Runtime } from "./Args.js"
import { type ProcessPlacement, processClusterOptions } from "./source/ProcessRuntime.js"
import { formatTransition, transitions } from "./Transitions.js"

export interface RunIO {
  readonly readManifest: (path: string) => Promise<string>
  readonly write: (text: string) => void
}

const errorText = (e: unknown): string =>
  typeof e === "object" && e !== null && "message" in e ? String((e as { message: unknown }).message) : String(e)

const finished = (pod: Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed"

/** Wall milliseconds between two looks at the pods on the real clock. */
const realPollMs = 100

/** A finished pod's container logs: `  app| hi` lines, or one JSON line per container. */
const logLines = (cluster: Cluster, pod: Pod, output: "text" | "json") =>
  Effect.gen(function* () {
    const namespace = pod.metadata.namespace ?? "default"
    const name = pod.metadata.name ?? ""
    const out: Array<string> = []
    for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      const lines = yield* cluster.logs(namespace, name, container.name).pipe(Effect.orElseSucceed(() => []))
      if (output === "json") {
        out.push(JSON.stringify({ pod: name, container: container.name, log: lines.map((l) => l.line) }))
      } else for (const l of lines) out.push(`  ${name}/${container.name}| ${l.line}`)
    }
    return out
  })

export const runCommand = async (
  args: {
    readonly files: ReadonlyArray<string>
    readonly forMs: number
    readonly output: "text" | "json"
    readonly runtime?: Runtime
  },
  io: RunIO
): Promise<number> => {
  const texts: Array<string> = []
  for (const file of args.files) {
    try {
      const text = await io.readManifest(file)
      const parsed = parseManifests(text)
      if (Result.isFailure(parsed)) {
        io.write(`podlet: ${file}: ${errorText(parsed.failure)}\n`)
        return 1
      }
      texts.push(text)
    } catch (e) {
      io.write(`podlet: ${file}: ${errorText(e)}\n`)
      return 1
    }
  }

  let placement: ProcessPlacement | undefined
  if (args.runtime?._tag === "Process") {
    try {
      placement = await processClusterOptions(args.runtime)
    } catch (e) {
      io.write(`podlet: ${errorText(e)}\n`)
      return 1
    }
  }

  const program = Effect.scoped(
    Effect.gen(function* () {
      const cluster = yield* makeCluster(placement ?? { nodes: ["node-1", "node-2", "node-3"] })
      const start = yield* Clock.currentTimeMillis
      let before = new Map<string, Pod>()
      const observe = (t: number) =>
        Effect.gen(function* () {
          const pods = yield* cluster.list<Pod>("pods").pipe(Effect.orDie)
          const now = yield* Clock.currentTimeMillis
          for (const tr of transitions(before, pods, t, now)) {
            io.write(args.output === "json" ? `${JSON.stringify(tr)}\n` : `${formatTransition(tr)}\n`)
          }
          before = new Map(pods.map((p) => [`${p.metadata.namespace ?? "default"}/${p.metadata.name ?? ""}`, p]))
        })
      for (const text of texts) {
        const applied = yield* Effect.result(cluster.apply(text))
        if (Result.isFailure(applied)) return { invalid: errorText(applied.failure) }
      }
      yield* observe(0)
      if (placement === undefined) {
        for (let ms = 1_000; ms <= args.forMs; ms += 1_000) {
          yield* cluster.advance("1 second")
          yield* observe(Math.round(((yield* Clock.currentTimeMillis) - start) / 1_000))
        }
        return { invalid: undefined }
      }
      // the real clock: look every 100 ms until every pod has finished or `--for` has passed
      const logged = new Set<string>()
      while (true) {
        yield* Effect.sleep(realPollMs)
        const now = yield* Clock.currentTimeMillis
        yield* observe(Math.round((now - start) / 1_000))
        const pods = [...before.values()]
        for (const pod of pods.filter(finished)) {
          const key = `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`
          if (logged.has(key)) continue
          logged.add(key)
          for (const line of yield* logLines(cluster, pod, args.output)) io.write(`${line}\n`)
        }
        if ((pods.length > 0 && pods.every(finished)) || now - start >= args.forMs) return { invalid: undefined }
      }
    })
  )

  const result = await Effect.runPromise(
    placement === undefined ? program.pipe(Effect.provide(VirtualClock.layer())) : program
  ).catch((e: unknown) => ({ invalid: errorText(e) }))
  if (result.invalid !== undefined) {
    io.write(`podlet: ${result.invalid}\n`)
    return 1
  }
  return 0
}
