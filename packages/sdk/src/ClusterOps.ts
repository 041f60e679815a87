/**
 * Every operation of `ClusterEffect`, built once over a `Backend`: manifest parsing, defaults
 * (namespace `default`, a pod's first container), Events of an object in creation order, the
 * kubectl columns, and `waitFor` (stepping a virtual clock a second at a time, or watching on a
 * real one with a wall-clock deadline). Embedded and remote clusters share all of it.
 */

import { parseManifests } from "@podlet/core/api/Decode"
import type { KubeObject, WatchEvent } from "@podlet/core/api/Meta"
import type { Event, Node } from "@podlet/core/api/Objects"
import type { Pod } from "@podlet/core/api/Pod"
import { printPod } from "@podlet/core/domain/DisplayStatus"
import { Effect, Option, Result, Stream } from "effect"
import type { Backend, KindInfo } from "./Backend.js"
import type { ClusterEffect } from "./ClusterEffect.js"
import { toMillis } from "./Duration.js"
import { type ClusterError, errorFromApi, NotFoundError, sdkStatus, TimeoutError, unsupported } from "./Errors.js"
import type { ListOptions, ObjectRef, WaitCondition, WaitOptions } from "./Types.js"
import { matchesCondition } from "./Wait.js"

/** How far `waitFor` moves a virtual clock between two looks. */
export const WaitStepMillis = 1_000

/** `waitFor`'s timeout when none is given: 5 minutes. */
const DefaultWaitMillis = 300_000

const refOf = (ref: ObjectRef | string): Required<ObjectRef> =>
  typeof ref === "string"
    ? { kind: "Pod", name: ref, namespace: "default" }
    : { kind: ref.kind ?? "Pod", name: ref.name, namespace: ref.namespace ?? "default" }

/** The objects of a manifest: `List` kinds flattened. */
const flatten = (objects: ReadonlyArray<KubeObject>): ReadonlyArray<KubeObject> =>
  objects.flatMap((o) => {
    const items = (o as { readonly items?: unknown }).items
    return o.kind.endsWith("List") && Array.isArray(items) ? flatten(items as ReadonlyArray<KubeObject>) : [o]
  })

/** The numeric creation order in an event name (`<object>.<hex>`, as the kubelet and podlet name them). */
const eventOrder = (event: Event): bigint => {
  const name = event.metadata.name ?? ""
  const hex = name.slice(name.lastIndexOf(".") + 1)
  return /^[0-9a-f]+$/.test(hex) ? BigInt(`0x${hex}`) : 0n
}

/** Events oldest first. */
export const sortEvents = (events: ReadonlyArray<Event>): ReadonlyArray<Event> =>
  [...events].sort((a, b) => {
    const x = eventOrder(a)
    const y = eventOrder(b)
    return x < y ? -1 : x > y ? 1 : (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1
  })

const timeoutError = (ms: number, ref: Required<ObjectRef>): TimeoutError =>
  new TimeoutError(
    sdkStatus(
      504,
      "Timeout",
      `timed out after ${Math.round(ms / 1000)}s waiting for ${ref.kind.toLowerCase()}/${ref.name}`
    )
  )

/** The `ClusterEffect` over a backend. */
export const makeClusterOps = (backend: Backend): ClusterEffect => {
  const namespaceOf = (info: KindInfo, namespace: string | undefined) =>
    info.namespaced ? (namespace ?? "default") : undefined

  const get = <T extends KubeObject>(kind: string, name: string, namespace?: string) =>
    Effect.flatMap(
      backend.resolve(kind),
      (info) => backend.get(info, name, namespaceOf(info, namespace)) as Effect.Effect<T, ClusterError>
    )

  const list = <T extends KubeObject>(kind: string, options: ListOptions = {}) =>
    Effect.flatMap(
      backend.resolve(kind),
      (info) => backend.list(info, options) as Effect.Effect<ReadonlyArray<T>, ClusterError>
    )

  const apply = (manifest: string | KubeObject | ReadonlyArray<KubeObject>) =>
    Effect.gen(function* () {
      let objects: ReadonlyArray<KubeObject>
      if (typeof manifest === "string") {
        const parsed = parseManifests(manifest)
        if (Result.isFailure(parsed)) return yield* Effect.fail(errorFromApi(parsed.failure))
        objects = parsed.success
      } else objects = Array.isArray(manifest) ? manifest : [manifest as KubeObject]
      const out: Array<KubeObject> = []
      for (const object of flatten(objects)) {
        const info = yield* backend.resolve(object.kind, object.apiVersion)
        out.push(yield* backend.applyOne(info, object))
      }
      yield* backend.settle
      return out as ReadonlyArray<KubeObject>
    })

  const remove = (kind: string, name: string, options: { readonly namespace?: string } = {}) =>
    Effect.gen(function* () {
      const info = yield* backend.resolve(kind)
      yield* backend.delete(info, name, namespaceOf(info, options.namespace), options)
      yield* backend.settle
    })

  const now = backend.now

  /** the object, or undefined while it does not exist */
  const lookup = <T extends KubeObject>(ref: Required<ObjectRef>): Effect.Effect<T | undefined, ClusterError> =>
    get<T>(ref.kind, ref.name, ref.namespace).pipe(
      Effect.catchIf(
        (e): e is NotFoundError => e instanceof NotFoundError,
        () => Effect.undefined
      )
    )

  const waitVirtual = <T extends KubeObject>(
    ref: Required<ObjectRef>,
    condition: WaitCondition<T>,
    timeout: number
  ): Effect.Effect<T, ClusterError> =>
    Effect.flatMap(now, (start) => {
      const look: Effect.Effect<T, ClusterError> = Effect.flatMap(lookup<T>(ref), (object) =>
        Effect.flatMap(now, (at) => {
          if (object !== undefined && matchesCondition(object, condition, at)) return Effect.succeed(object)
          const elapsed = at - start
          if (elapsed >= timeout) return Effect.fail(timeoutError(timeout, ref))
          return Effect.andThen(backend.advance(Math.min(WaitStepMillis, timeout - elapsed)), look)
        })
      )
      return look
    })

  const waitReal = <T extends KubeObject>(
    ref: Required<ObjectRef>,
    condition: WaitCondition<T>,
    timeout: number
  ): Effect.Effect<T, ClusterError> =>
    Effect.gen(function* () {
      const info = yield* backend.resolve(ref.kind)
      const events = backend.watch(info, {
        ...(info.namespaced ? { namespace: ref.namespace } : {}),
        fieldSelector: `metadata.name=${ref.name}`
      })
      const found = yield* events.pipe(
        Stream.filter(
          (e) => (e.type === "ADDED" || e.type === "MODIFIED") && matchesCondition(e.object as T, condition, Date.now())
        ),
        Stream.runHead
      )
      if (Option.isNone(found)) return yield* Effect.fail(timeoutError(timeout, ref))
      return found.value.object as T
    }).pipe(Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(timeoutError(timeout, ref)) }))

  const waitFor = <T extends KubeObject = Pod>(
    target: ObjectRef | string,
    condition: WaitCondition<T>,
    options: WaitOptions = {}
  ): Effect.Effect<T, ClusterError> =>
    Effect.suspend(() => {
      const timeout = options.timeout === undefined ? DefaultWaitMillis : toMillis(options.timeout)
      const ref = refOf(target)
      return backend.clockMode === "virtual" ? waitVirtual(ref, condition, timeout) : waitReal(ref, condition, timeout)
    })

  const podGet = (name: string, namespace?: string) => get<Pod>("Pod", name, namespace)

  return {
    apply,
    get,
    list,
    delete: remove,
    pods: {
      get: podGet,
      list: (options) => list<Pod>("Pod", options),
      delete: (name, options) => remove("Pod", name, options),
      evict: (name, namespace = "default") => Effect.andThen(backend.evict(namespace, name), backend.settle),
      logs: (name, options = {}) =>
        Effect.gen(function* () {
          const namespace = options.namespace ?? "default"
          const container = options.container ?? (yield* podGet(name, namespace)).spec.containers[0]?.name ?? "unknown"
          return yield* backend.logs(namespace, name, container, options.previous ?? false)
        }),
      status: (name, namespace) =>
        Effect.gen(function* () {
          const pod = yield* podGet(name, namespace)
          const row = printPod(pod, yield* now)
          return { ready: row.ready, status: row.status, restarts: row.restarts }
        })
    },
    watch: <T extends KubeObject>(kind: string, options: ListOptions = {}) =>
      Stream.unwrap(Effect.map(backend.resolve(kind), (info) => backend.watch(info, options))) as Stream.Stream<
        WatchEvent<T>,
        ClusterError
      >,
    events: (object) =>
      Effect.gen(function* () {
        if (object === undefined) return sortEvents(yield* list<Event>("Event"))
        const ref = refOf(object)
        const info = yield* backend.resolve(ref.kind)
        const all = yield* list<Event>("Event", info.namespaced ? { namespace: ref.namespace } : {})
        return sortEvents(all.filter((e) => e.involvedObject.name === ref.name && e.involvedObject.kind === info.kind))
      }),
    waitFor,
    clock: {
      mode: backend.clockMode,
      now: Effect.map(now, (ms) => new Date(ms)),
      advance: (duration) =>
        backend.clockMode === "virtual"
          ? Effect.suspend(() => backend.advance(toMillis(duration)))
          : Effect.fail(unsupported("the clock is real: it cannot be advanced"))
    },
    faults: backend.faults,
    images: backend.images,
    nodes: {
      list: () => list<Node>("Node"),
      get: (name) => get<Node>("Node", name),
      cordon: (name) => backend.cordon(name, true),
      uncordon: (name) => backend.cordon(name, false),
      drain: (name, options = {}) => backend.drain(name, options),
      add: (node) =>
        Effect.andThen(backend.addNode(node), get<Node>("Node", typeof node === "string" ? node : node.name))
    }
  }
}
