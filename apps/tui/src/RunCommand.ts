/**
 * `podlet run FILE... [--for 10m] [--output text|json]`: applies the manifests to an embedded
 * cluster on the virtual clock, fast-forwards second by second and prints every status transition.
 * Exit 0 when the run completes, 1 with a clear message when a manifest is invalid.
 */
import type { Pod } from "@podlet/core"
import { parseManifests } from "@podlet/core/api/Decode"
import { makeCluster } from "@podlet/core/Cluster"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import { Clock, Effect, Result } from "effect"
import { formatTransition, transitions } from "./Transitions.js"

export interface RunIO {
  readonly readManifest: (path: string) => Promise<string>
  readonly write: (text: string) => void
}

const errorText = (e: unknown): string =>
  typeof e === "object" && e !== null && "message" in e ? String((e as { message: unknown }).message) : String(e)

export const runCommand = async (
  args: { readonly files: ReadonlyArray<string>; readonly forMs: number; readonly output: "text" | "json" },
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

  const program = Effect.scoped(
    Effect.gen(function* () {
      const cluster = yield* makeCluster({ nodes: ["node-1", "node-2", "node-3"] })
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
      for (let ms = 1_000; ms <= args.forMs; ms += 1_000) {
        yield* cluster.advance("1 second")
        yield* observe(Math.round(((yield* Clock.currentTimeMillis) - start) / 1_000))
      }
      return { invalid: undefined }
    })
  ).pipe(Effect.provide(VirtualClock.layer()))

  const result = await Effect.runPromise(program)
  if (result.invalid !== undefined) {
    io.write(`podlet: ${result.invalid}\n`)
    return 1
  }
  return 0
}
