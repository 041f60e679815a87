/**
 * The state and services one node's kubelet works with, shared by its transaction scripts
 * (`SyncPod`, `Terminate`, the image manager, the prober, hooks). Created by `Kubelet.ts`.
 */
import { Effect } from "effect"
import type { ConfigMap, ObjectReference, Secret } from "../api/Objects.js"
import type { Container, Pod, PodStatus } from "../api/Pod.js"
import type { BackoffEntry, BackoffState } from "../domain/Backoff.js"
import type { KubeletEvent } from "../domain/Events.js"
import type { PodActions } from "../domain/PodActions.js"
import type { ContainerProbeResults } from "../domain/Probe.js"
import type { RuntimeSnapshot } from "../domain/RuntimeSnapshot.js"
import type { ContainerRuntime } from "../services/ContainerRuntime.js"
import type { EventRecord, EventRecorder, EventSource, FilteredEventCounter } from "../services/EventRecorder.js"
import type { ImageCache, ImageRegistry } from "../services/ImageService.js"
import type { ObjectStore } from "../services/ObjectStore.js"
import type { BackoffOnlySync } from "./BackoffFastPath.js"
import type { PodObjects } from "./ContainerConfig.js"
import { podSnapshot } from "./PodRuntime.js"
import type { Prober } from "./Prober.js"
import type { StatusManager } from "./StatusManager.js"

/** A start failure remembered for the status (`kubelet reasonCache`): the container's waiting reason and message. */
export interface StartFailure {
  readonly reason: string
  readonly message: string
}

/** What the kubelet remembers of one pod between syncs. */
export interface PodMemory {
  /** container name → last start failure; cleared by a successful start */
  readonly reasons: Map<string, StartFailure>
  /** when the kubelet first saw the pod (status.startTime), epoch ms */
  startTime?: number
  /** set once the pod's containers were killed for good (completion, deletion, deadline) */
  terminated: boolean
  /** the last API object seen (kept after a deletion, for the clean-up) */
  pod?: Pod
  /** the last status the kubelet generated (the status manager's cache) */
  status?: PodStatus
  /** the pod sandbox's IP, once known */
  podIP?: string
  /** the last runtime snapshot taken (kept while unchanged, see `snapshotOf`) */
  snapshot?: RuntimeSnapshot
  /** the runtime revision `snapshot` was taken at (`BackoffFastPath`), when known */
  snapshotRevision?: number | undefined
  /** what the last generated status was generated from (`publishStatus` reuses it when nothing changed) */
  published?: PublishedFrom
  /** the API object as the last status publish left it (the written one, or the one found equal) */
  stored?: Pod | undefined
  /** the last sync, when it only met crash-loop backoffs (`BackoffFastPath`); cleared by every sync */
  backoffOnly?: BackoffOnlySync | undefined
  /** the last plan computed, with its inputs (`SyncPod.podActionsOf` reuses it while they are the same) */
  actions?: PlannedFrom | undefined
}

/** A plan of `computePodActions` and its inputs, compared by identity (of the pod, what the plan reads). */
export interface PlannedFrom {
  readonly spec: Pod["spec"]
  readonly deletionTimestamp: string | undefined
  readonly deletionGracePeriodSeconds: number | undefined
  readonly snapshot: RuntimeSnapshot
  /** the probe results of the snapshot's containers, in order */
  readonly probes: ReadonlyArray<ContainerProbeResults | undefined>
  readonly actions: PodActions
}

/** The inputs of the last generated status, compared by identity (or value for the small ones). */
export interface PublishedFrom {
  readonly pod: Pod
  readonly snapshot: RuntimeSnapshot
  /** the status cached before it was generated (its `previous`) */
  readonly previous: PodStatus | undefined
  readonly options: string
  /** the start failures as `[container, reason, message]`, in map order */
  readonly reasons: ReadonlyArray<readonly [string, string, string]>
  /** the probe results of the snapshot's containers, in order */
  readonly probes: ReadonlyArray<ContainerProbeResults | undefined>
  readonly podIP: string | undefined
  readonly startTime: number | undefined
}

export interface KubeletContext {
  readonly nodeName: string
  readonly nodeIP: string
  readonly store: ObjectStore["Service"]
  readonly runtime: ContainerRuntime["Service"]
  readonly registry: ImageRegistry["Service"]
  readonly images: ImageCache
  readonly recorder: EventRecorder["Service"]
  readonly status: StatusManager
  /** the informer's view: pods bound to this node, by UID */
  readonly pods: Map<string, Pod>
  readonly memory: Map<string, PodMemory>
  /** probe results by API container id (`containerd://…`) */
  readonly probeResults: Map<string, ContainerProbeResults>
  /** crash-loop backoff entries by stable key (one node's `flowcontrol.Backoff`, updated in place) */
  readonly crashBackoff: Map<string, BackoffEntry>
  imageBackoff: BackoffState
  /** wake the pod worker of `uid` */
  readonly wake: (uid: string) => Effect.Effect<void>
  /** pod UID → its newest sandbox id */
  readonly sandboxes: Map<string, string>
  readonly prober: Prober
  /** serialises image pulls (kubelet `serializeImagePulls: true`) */
  readonly pullLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** the backoff fast path's recorder and runtime capabilities, when it is on and both offer them */
  readonly fastPath?: {
    readonly events: FilteredEventCounter
    readonly revisions: { readonly podRevisionUnsafe: (podUid: string) => number }
  }
}

/** The runtime snapshot of a pod; the previous one (same identity) when nothing changed since. */
export const snapshotOf = (ctx: KubeletContext, uid: string): Effect.Effect<RuntimeSnapshot> =>
  Effect.suspend(() => {
    const revisions = ctx.fastPath?.revisions
    const before = revisions?.podRevisionUnsafe(uid)
    return Effect.map(podSnapshot(ctx.runtime, uid, ctx.memory.get(uid)?.snapshot), (snapshot) => {
      const memory = ctx.memory.get(uid)
      if (memory !== undefined) {
        memory.snapshot = snapshot
        memory.snapshotRevision =
          before !== undefined && revisions?.podRevisionUnsafe(uid) === before ? before : undefined
      }
      return snapshot
    })
  })

/** The pod's memory, created on first use. */
export const memoryOf = (ctx: KubeletContext, uid: string): PodMemory => {
  let memory = ctx.memory.get(uid)
  if (memory === undefined) {
    memory = { reasons: new Map(), terminated: false }
    ctx.memory.set(uid, memory)
  }
  return memory
}

/** `spec.containers{app}` / `spec.initContainers{init}`: the event fieldPath of a container. */
export const containerFieldPath = (pod: Pod, container: Container): string =>
  pod.spec.initContainers?.some((c) => c.name === container.name) === true
    ? `spec.initContainers{${container.name}}`
    : `spec.containers{${container.name}}`

/** The ObjectReference of a pod (optionally a container of it) for events. */
export const podReference = (pod: Pod, fieldPath?: string): ObjectReference => {
  const reference: { -readonly [K in keyof ObjectReference]: ObjectReference[K] } = {
    kind: "Pod",
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name ?? "",
    uid: pod.metadata.uid ?? "",
    apiVersion: "v1"
  }
  if (pod.metadata.resourceVersion !== undefined) reference.resourceVersion = pod.metadata.resourceVersion
  if (fieldPath !== undefined) reference.fieldPath = fieldPath
  return reference
}

/** The kubelet's event source of each node (one object shared by its events). */
const sources = new Map<string, EventSource>()

/** the source asked for last (one kubelet records many events in a row) */
let lastSource: EventSource | undefined

const sourceOf = (nodeName: string): EventSource => {
  if (lastSource?.host === nodeName) return lastSource
  let source = sources.get(nodeName)
  if (source === undefined) {
    source = { component: "kubelet", host: nodeName }
    if (sources.size >= 4096) sources.clear()
    sources.set(nodeName, source)
  }
  lastSource = source
  return source
}

/** The occurrence the kubelet records for `event` on the pod, or one of its containers. */
export const eventRecord = (
  ctx: KubeletContext,
  pod: Pod,
  container: Container | undefined,
  event: KubeletEvent
): EventRecord => ({
  involvedObject: podReference(pod, container !== undefined ? containerFieldPath(pod, container) : undefined),
  type: event.type,
  reason: event.reason,
  message: event.message,
  source: sourceOf(ctx.nodeName)
})

/** Records kubelet events against the pod, or one of its containers. */
export const recordEvents = (
  ctx: KubeletContext,
  pod: Pod,
  container: Container | undefined,
  events: ReadonlyArray<KubeletEvent>
): Effect.Effect<void> => {
  const record = (event: KubeletEvent) => ctx.recorder.record(eventRecord(ctx, pod, container, event))
  return events.length === 1 ? record(events[0]!) : Effect.forEach(events, record, { discard: true })
}

/** Every container of the pod spec: init containers (sidecars included) then app containers. */
export const allContainers = (pod: Pod): ReadonlyArray<Container> => [
  ...(pod.spec.initContainers ?? []),
  ...pod.spec.containers
]

export const findContainer = (pod: Pod, name: string): Container | undefined =>
  pod.spec.initContainers?.find((c) => c.name === name) ?? pod.spec.containers.find((c) => c.name === name)

const containerReferencesConfig = (c: Container): boolean =>
  (c.envFrom ?? []).length > 0 ||
  (c.env ?? []).some((e) => e.valueFrom?.configMapKeyRef !== undefined || e.valueFrom?.secretKeyRef !== undefined)

const referencesConfig = (pod: Pod): boolean =>
  (pod.spec.volumes ?? []).some((v) => v.configMap !== undefined || v.secret !== undefined) ||
  (pod.spec.initContainers ?? []).some(containerReferencesConfig) ||
  pod.spec.containers.some(containerReferencesConfig)

const noObjects: PodObjects = { configMaps: new Map(), secrets: new Map() }

/** The ConfigMaps and Secrets of the pod's namespace (none read when the pod references none). */
export const podObjects = (ctx: KubeletContext, pod: Pod): Effect.Effect<PodObjects> =>
  referencesConfig(pod) ? readPodObjects(ctx, pod) : Effect.succeed(noObjects)

const readPodObjects = (ctx: KubeletContext, pod: Pod): Effect.Effect<PodObjects> =>
  Effect.gen(function* () {
    const namespace = pod.metadata.namespace ?? "default"
    const configMaps = yield* ctx.store.list<ConfigMap>("configmaps", { namespace }).pipe(
      Effect.map((r) => r.items),
      Effect.orElseSucceed(() => [] as ReadonlyArray<ConfigMap>)
    )
    const secrets = yield* ctx.store.list<Secret>("secrets", { namespace }).pipe(
      Effect.map((r) => r.items),
      Effect.orElseSucceed(() => [] as ReadonlyArray<Secret>)
    )
    return {
      configMaps: new Map(configMaps.map((c) => [c.metadata.name ?? "", c])),
      secrets: new Map(secrets.map((s) => [s.metadata.name ?? "", s]))
    }
  })
