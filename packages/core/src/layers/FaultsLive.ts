/**
 * The Faults service over a cluster's parts: container faults go through the pod's node runtime
 * (`ContainerRuntime.killContainer`, then the kubelet reacts as to any exit), the registry outage
 * through `ImageRegistry.setOutage`, image preloading into the node's image cache. Each fault is
 * recorded with `recordFault`, which node-lifecycle faults reuse when they are added.
 */
import { Effect, Layer } from "effect"
import type { ObjectReference } from "../api/Objects.js"
import type { Pod } from "../api/Pod.js"
import type { NodeAgent } from "../control/NodeAgent.js"
import { makeNodeFaults } from "../control/NodeFaults.js"
import type { ContainerRuntime } from "../services/ContainerRuntime.js"
import { EventRecorder } from "../services/EventRecorder.js"
import type { ContainerTarget } from "../services/Faults.js"
import { FaultError, Faults } from "../services/Faults.js"
import type { ImageCache } from "../services/ImageService.js"
import { ImageRegistry } from "../services/ImageService.js"
import { ObjectStore } from "../services/ObjectStore.js"
import { catalogueImageInfo } from "./RegistrySimulated.js"

/** A node as the faults see it. */
export interface FaultNode {
  readonly name: string
  readonly runtime: ContainerRuntime["Service"]
  readonly images: ImageCache
  /** the node's agent (partitions, disk and memory faults) */
  readonly agent?: NodeAgent
}

/** The event source of injected faults. */
export const FaultSource = { component: "podlet-faults" } as const

/** Records a fault as an Event on `object` (`FaultInjected`, or `FaultCleared`). */
export const recordFault = (
  recorder: EventRecorder["Service"],
  object: ObjectReference,
  message: string,
  reason: "FaultInjected" | "FaultCleared" = "FaultInjected"
): Effect.Effect<void> =>
  recorder.record({ involvedObject: object, type: "Warning", reason, message, source: FaultSource })

const nodeRef = (name: string): ObjectReference => ({ apiVersion: "v1", kind: "Node", name, uid: name })

/** Builds the Faults service (the cluster's nodes are listed by the caller: they can be added later). */
export const makeFaults = Effect.fnUntraced(function* (
  nodes: () => ReadonlyArray<FaultNode>,
  options: { readonly syncNode?: (name: string) => Effect.Effect<void> } = {}
) {
  const store = yield* ObjectStore
  const recorder = yield* EventRecorder
  const registry = yield* ImageRegistry

  const findNode = (name: string) => nodes().find((n) => n.name === name)

  /** The pod, its node and the container's running instance. */
  const locate = Effect.fnUntraced(function* (target: ContainerTarget) {
    const namespace = target.namespace ?? "default"
    const pod = yield* store
      .get<Pod>("pods", namespace, target.pod)
      .pipe(Effect.mapError(() => new FaultError({ message: `pods "${target.pod}" not found` })))
    const node = findNode(pod.spec.nodeName ?? "")
    if (node === undefined) {
      return yield* new FaultError({ message: `pod ${target.pod} does not have a host assigned` })
    }
    const known = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].some((c) => c.name === target.container)
    if (!known) {
      return yield* new FaultError({ message: `container ${target.container} is not valid for pod ${target.pod}` })
    }
    const instances = yield* node.runtime.listContainers(pod.metadata.uid ?? "")
    const running = instances.filter((c) => c.name === target.container && c.state === "running").pop()
    if (running === undefined) {
      return yield* new FaultError({ message: `container ${target.container} of pod ${target.pod} is not running` })
    }
    const ref: ObjectReference = {
      apiVersion: "v1",
      kind: "Pod",
      namespace,
      name: target.pod,
      uid: pod.metadata.uid ?? "",
      fieldPath: `${pod.spec.containers.some((c) => c.name === target.container) ? "spec.containers" : "spec.initContainers"}{${target.container}}`
    }
    return { node, running, ref }
  })

  const killWith = Effect.fnUntraced(function* (
    target: ContainerTarget,
    exitCode: number,
    reason: string,
    message: string
  ) {
    const { node, running, ref } = yield* locate(target)
    yield* recordFault(recorder, ref, message)
    const killed = yield* node.runtime.killContainer(running.id, exitCode, reason)
    if (!killed) {
      return yield* new FaultError({ message: `container ${target.container} of pod ${target.pod} is not running` })
    }
  })

  return Faults.of({
    containerExit: (target, exitCode) =>
      killWith(
        target,
        exitCode,
        exitCode === 0 ? "Completed" : "Error",
        `Fault injected: container ${target.container} exited with code ${exitCode}`
      ),
    containerOOM: (target) =>
      killWith(target, 137, "OOMKilled", `Fault injected: container ${target.container} was OOM-killed`),
    registryOutage: (down) =>
      Effect.gen(function* () {
        yield* registry.setOutage(down)
        for (const node of nodes()) {
          yield* recordFault(
            recorder,
            nodeRef(node.name),
            down
              ? "Fault injected: registry outage started (image pulls fail)"
              : "Fault cleared: registry outage ended",
            down ? "FaultInjected" : "FaultCleared"
          )
        }
      }),
    preloadImage: (nodeName, image) =>
      Effect.gen(function* () {
        const node = findNode(nodeName)
        if (node === undefined) return yield* new FaultError({ message: `nodes "${nodeName}" not found` })
        node.images.put(catalogueImageInfo(image))
        yield* recordFault(
          recorder,
          nodeRef(nodeName),
          `Fault injected: image ${image} preloaded onto node ${nodeName}`
        )
      }),
    ...makeNodeFaults({ recorder, nodes, ...(options.syncNode !== undefined ? { syncNode: options.syncNode } : {}) })
  })
})

/** The Faults layer over the ObjectStore, EventRecorder and ImageRegistry in context. */
export const FaultsLive = {
  layer: (
    nodes: () => ReadonlyArray<FaultNode>
  ): Layer.Layer<Faults, never, ObjectStore | EventRecorder | ImageRegistry> => Layer.effect(Faults, makeFaults(nodes))
} as const
