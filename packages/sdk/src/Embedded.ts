/**
 * `createCluster()`: an embedded podlet cluster in this process, on a virtual clock by default
 * (an hour of CrashLoopBackOff in milliseconds) or on the real clock.
 */
import type { ApiError, Event, KubeObject, Pod, WatchEvent } from "@podlet/core"
import { resourceForKind } from "@podlet/core/api/Resources"
import {
  type Cluster as CoreCluster,
  type ClusterOptions as CoreClusterOptions,
  makeCluster
} from "@podlet/core/Cluster"
import { printPod } from "@podlet/core/domain/DisplayStatus"
import { StoreSqlite } from "@podlet/platform-node"
import { Cause, Clock, Context, Effect, Exit, Layer, ManagedRuntime, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import type { Cluster, DurationInput, ObjectRef, WaitCondition, WaitOptions } from "./Cluster.js"
import { toMillis } from "./Duration.js"
import { errorFromApi, PodletError, sdkStatus, TimeoutError, UnsupportedError } from "./Errors.js"
import { matchesCondition } from "./Wait.js"

export interface NodeSpec {
  readonly name: string
  readonly cpu?: string
  readonly memory?: string
  readonly pods?: string
  /** images preloaded on the node (like `kind load`) */
  readonly images?: ReadonlyArray<string>
}

export interface CreateClusterOptions {
  /** a count (nodes `node-1` … `node-N`) or node specs; default 1 */
  readonly nodes?: number | ReadonlyArray<string | NodeSpec>
  /** default "virtual" */
  readonly clock?: "virtual" | "real"
  /** "simulated" (default); "process" arrives with the real-runtime work */
  readonly runtime?: "simulated"
  /** default "memory" */
  readonly store?: "memory" | { readonly sqlite: string }
  /** extra registry catalogue entries */
  readonly images?: ReadonlyArray<{ readonly name: string; readonly tag?: string; readonly pullSeconds?: number }>
}

class Embedded extends Context.Service<Embedded, CoreCluster>()("@podlet/sdk/Embedded") {}

const nodeList = (nodes: CreateClusterOptions["nodes"]): ReadonlyArray<string | NodeSpec> =>
  nodes === undefined
    ? ["node-1"]
    : typeof nodes === "number"
      ? Array.from({ length: nodes }, (_, i) => `node-${i + 1}`)
      : nodes

const isApiError = (e: unknown): e is ApiError =>
  typeof e === "object" &&
  e !== null &&
  "_tag" in e &&
  ["NotFound", "AlreadyExists", "Conflict", "Invalid", "BadRequest", "Forbidden", "Expired", "ApiFailure"].includes(
    String((e as { _tag: unknown })._tag)
  )

/** Runs an Effect, turning API failures into the SDK's error classes. */
const runner =
  <R>(runtime: ManagedRuntime.ManagedRuntime<R, never>) =>
  async <A, E>(effect: Effect.Effect<A, E, R>): Promise<A> => {
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.findErrorOption(exit.cause)
    if (Option.isSome(failure) && isApiError(failure.value)) throw errorFromApi(failure.value)
    throw Cause.squash(exit.cause)
  }

const kindResource = (kind: string): string => resourceForKind(kind)?.resource ?? kind.toLowerCase()
const isNamespaced = (kind: string): boolean => resourceForKind(kind)?.namespaced ?? true

const refOf = (ref: ObjectRef | string): Required<ObjectRef> =>
  typeof ref === "string"
    ? { kind: "Pod", name: ref, namespace: "default" }
    : { kind: ref.kind ?? "Pod", name: ref.name, namespace: ref.namespace ?? "default" }

/** Starts an embedded cluster. Close it with `close()`. */
export const createCluster = async (options: CreateClusterOptions = {}): Promise<Cluster> => {
  const coreOptions: CoreClusterOptions = {
    nodes: nodeList(options.nodes),
    ...(options.store !== undefined && options.store !== "memory"
      ? { store: Layer.orDie(StoreSqlite.layer({ path: options.store.sqlite })) }
      : {})
  }
  const clusterLayer = Layer.effect(Embedded, makeCluster(coreOptions))
  const virtual = (options.clock ?? "virtual") === "virtual"
  const runtime = ManagedRuntime.make(virtual ? clusterLayer.pipe(Layer.provideMerge(TestClock.layer())) : clusterLayer)
  const run = runner(runtime)
  const core: CoreCluster = await run(
    Effect.gen(function* () {
      return yield* Embedded
    })
  )
  for (const image of options.images ?? []) await run(core.registry.add(image))

  const now = () => run(Clock.currentTimeMillis)
  const advance = (ms: number) =>
    virtual ? run(core.advance(ms)) : new Promise<void>((resolve) => setTimeout(resolve, ms))

  const get = <T extends KubeObject>(kind: string, name: string, namespace?: string) =>
    run(core.get<T>(kindResource(kind), name, isNamespaced(kind) ? (namespace ?? "default") : undefined))

  const pods: Cluster["pods"] = {
    get: (name, namespace) => get<Pod>("Pod", name, namespace),
    list: (listOptions = {}) => run(core.list<Pod>("pods", listOptions)),
    delete: async (name, deleteOptions = {}) => {
      await run(core.delete("pods", name, deleteOptions))
    },
    logs: async (name, logOptions = {}) => {
      const namespace = logOptions.namespace ?? "default"
      const container = logOptions.container ?? (await get<Pod>("Pod", name, namespace)).spec.containers[0]?.name ?? ""
      const lines = await run(core.logs(namespace, name, container, { previous: logOptions.previous ?? false }))
      return lines.map((l) => ({ time: l.time, line: l.line }))
    },
    status: async (name, namespace) => {
      const [pod, at] = await Promise.all([get<Pod>("Pod", name, namespace), now()])
      const row = printPod(pod, at)
      return { ready: row.ready, status: row.status, restarts: row.restarts }
    }
  }

  const waitFor = async <T extends KubeObject = Pod>(
    target: ObjectRef | string,
    condition: WaitCondition<T>,
    waitOptions: WaitOptions = {}
  ): Promise<T> => {
    const ref = refOf(target)
    const timeout = toMillis(waitOptions.timeout ?? "5m")
    const start = await now()
    const step = 1_000
    for (;;) {
      const object = await get<T>(ref.kind, ref.name, ref.namespace).catch((e: unknown) => {
        if (e instanceof PodletError && e.code === 404) return undefined
        throw e
      })
      const at = await now()
      if (object !== undefined && matchesCondition(object, condition, at)) return object
      const elapsed = at - start
      if (elapsed >= timeout) {
        throw new TimeoutError(
          sdkStatus(
            408,
            "Timeout",
            `timed out after ${Math.round(timeout / 1000)}s waiting for ${ref.kind.toLowerCase()}/${ref.name}`
          )
        )
      }
      await advance(Math.min(step, timeout - elapsed))
    }
  }

  async function* watch<T extends KubeObject>(
    kind: string,
    listOptions: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {}
  ) {
    const stream = core.store.watch<T>(kindResource(kind), listOptions)
    const iterable = await run(Stream.toAsyncIterableEffect(stream))
    for await (const event of iterable) yield event as WatchEvent<T>
  }

  return {
    apply: async (manifest) => {
      if (typeof manifest === "string" || !Array.isArray(manifest)) {
        return run(core.apply(manifest as string | KubeObject))
      }
      const out: Array<KubeObject> = []
      for (const object of manifest as ReadonlyArray<KubeObject>) out.push(...(await run(core.apply(object))))
      return out
    },
    get,
    list: (kind, listOptions = {}) => run(core.list(kindResource(kind), listOptions)),
    delete: async (kind, name, deleteOptions = {}) => {
      await run(
        core.delete(kindResource(kind), name, {
          ...deleteOptions,
          ...(isNamespaced(kind) ? {} : { namespace: "" })
        })
      )
    },
    pods,
    watch,
    events: async (object) => {
      if (object === undefined) return run(core.list<Event>("events"))
      const ref = refOf(object)
      const all = await run(core.list<Event>("events", { namespace: ref.namespace }))
      return all.filter((e) => e.involvedObject.name === ref.name && e.involvedObject.kind === ref.kind)
    },
    waitFor,
    clock: {
      now: async () => new Date(await now()),
      advance: async (duration: DurationInput) => {
        if (!virtual) {
          throw new UnsupportedError(sdkStatus(400, "BadRequest", "the clock is real: it cannot be advanced"))
        }
        await advance(toMillis(duration))
      }
    },
    close: () => runtime.dispose()
  }
}
