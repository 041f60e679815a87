/**
 * The Cluster facade: composes a podlet cluster from layers — the ObjectStore (in memory unless
 * another is given), the simulated image registry, the pod network, and N nodes, each with its Node
 * object and a kubelet over its own simulated runtime — and offers what kubectl-like callers need:
 * apply, delete, get, list, logs, events, the `kubectl get pods` rows, and time.
 *
 * Time: `advance(d)` runs every timer due in (now, now + d] in time order and returns once the
 * engine is quiescent at the new time. Under the VirtualClock (large simulations, benchmarks) it
 * is the clock's own `advance`, and quiescence is its scheduler's: no task left to run. Under
 * TestClock (tests) it adjusts the test clock; on the live Clock it sleeps. There "quiescent" is
 * polled: every kubelet's informer has seen the store's pods, no pod worker has a pending wake, and
 * the store's resourceVersion is stable.
 */
import type { Duration } from "effect"
import { Clock, Context, Effect, Layer, Result, Scope } from "effect"
import type { TestClock } from "effect/testing"
import { parseManifests } from "./api/Decode.js"
import { BadRequest, type Expired, type NotFound } from "./api/Errors.js"
import type { DeleteOptions, KubeObject, PropagationPolicy } from "./api/Meta.js"
import type { Event, Node, NodeSystemInfo } from "./api/Objects.js"
import type { Pod } from "./api/Pod.js"
import { resourceForKind } from "./api/Resources.js"
import type { ControlPlane } from "./control/ControlPlane.js"
import { makeControlPlane } from "./control/ControlPlane.js"
import type { DrainError, DrainOptions, DrainResult } from "./control/Drain.js"
import { drainNode, setUnschedulable } from "./control/Drain.js"
import type { EvictionError } from "./control/Eviction.js"
import { evictPod } from "./control/Eviction.js"
import type { NodeAgent } from "./control/NodeAgent.js"
import { makeNodeAgent } from "./control/NodeAgent.js"
import type { NodeLifecycleMode } from "./control/NodeHealth.js"
import { nodeInternalIP, nodePodCIDR } from "./control/NodeNetwork.js"
import type { PodRow } from "./domain/DisplayStatus.js"
import { printPod } from "./domain/DisplayStatus.js"
import { fromRfc3339, toRfc3339 } from "./domain/Time.js"
import type { Kubelet } from "./kubelet/Kubelet.js"
import { makeKubelet } from "./kubelet/Kubelet.js"
import { EventRecorderLive, makeEventSequence } from "./layers/EventRecorderLive.js"
import { makeFaults } from "./layers/FaultsLive.js"
import type { RegistrySimulatedOptions } from "./layers/RegistrySimulated.js"
import { catalogueImageInfo, makeImageCache, RegistrySimulated } from "./layers/RegistrySimulated.js"
import { RuntimeSimulated } from "./layers/RuntimeSimulated.js"
import { SimNetwork } from "./layers/SimNetwork.js"
import { StoreMemory } from "./layers/StoreMemory.js"
import { isVirtualClock } from "./layers/VirtualClock.js"
import type { ContainerInfo, ExecResult, LogLine } from "./services/ContainerRuntime.js"
import { ContainerRuntime } from "./services/ContainerRuntime.js"
import { EventRecorder } from "./services/EventRecorder.js"
import type { Faults } from "./services/Faults.js"
import type { ImageCache } from "./services/ImageService.js"
import { ImageRegistry } from "./services/ImageService.js"
import type { DeleteResult, ListOptions, WriteError } from "./services/ObjectStore.js"
import { ObjectStore } from "./services/ObjectStore.js"

/** One node of the cluster. */
export interface NodeOptions {
  readonly name: string
  /** capacity; defaults 4 CPUs, 8Gi, 110 pods */
  readonly cpu?: string
  readonly memory?: string
  readonly pods?: string
  /** images already on the node (like `kind load`), e.g. `local/app:dev` */
  readonly images?: ReadonlyArray<string>
  /** the node's InternalIP; default `10.0.0.<index+1>`-style from `NodeNetwork` */
  readonly internalIP?: string
  /** what the node reports in `status.nodeInfo` over the simulated defaults (e.g. the process runtime's mode) */
  readonly nodeInfo?: Partial<NodeSystemInfo>
}

/** What a node's runtime factory is given (`ClusterOptions.runtime`). */
export interface RuntimeNode {
  readonly name: string
  readonly index: number
  readonly podCIDR: string
  /** the cluster's simulated pod network */
  readonly network: SimNetwork
  /** the node's image store, shared with its kubelet */
  readonly images: ImageCache
}

export interface ClusterOptions {
  /** default: one node `n1` */
  readonly nodes?: ReadonlyArray<string | NodeOptions>
  /** the API storage; default the in-memory store */
  readonly store?: Layer.Layer<ObjectStore>
  readonly registry?: RegistrySimulatedOptions
  /**
   * Under TestClock or the VirtualClock only: the time the cluster starts at (RFC 3339 or epoch
   * ms), set when the clock is earlier. Default `2025-01-01T00:00:00Z` when the clock is still at 0.
   */
  readonly startAt?: string | number
  /** create the `kubernetes` Service (10.96.0.1) in `default`; default true */
  readonly kubernetesService?: boolean
  /**
   * how the control plane treats unreachable nodes: `modern` (default; taint-based eviction, pods
   * stay Terminating) or `legacy` (pre-v1.27: pods show phase Unknown / NodeLost, then Failed)
   */
  readonly nodeLifecycle?: NodeLifecycleMode
  /** each node's container runtime; default the simulated runtime (`RuntimeSimulated`) */
  readonly runtime?: (node: RuntimeNode) => Layer.Layer<ContainerRuntime>
  /** the image registry; default the simulated registry with `registry`'s options */
  readonly imageRegistry?: Layer.Layer<ImageRegistry>
}

/** A node as the facade exposes it. */
export interface ClusterNode {
  readonly name: string
  readonly runtime: ContainerRuntime["Service"]
  readonly images: ImageCache
  readonly kubelet: Kubelet
  /** the node's link to the API server, heartbeats and eviction manager */
  readonly agent: NodeAgent
}

/** `kubectl delete` options. */
export interface DeleteRequest {
  readonly namespace?: string
  readonly gracePeriodSeconds?: number
  /** with `gracePeriodSeconds: 0`: remove the object at once (`--grace-period=0 --force`) */
  readonly force?: boolean
  /** what happens to dependents (`--cascade=background|foreground|orphan`); default Background */
  readonly propagationPolicy?: PropagationPolicy
}

/** A failure of the facade: the API errors, plus BadRequest for unusable input. */
export type ClusterError = WriteError | NotFound | BadRequest | Expired

export interface Cluster {
  readonly store: ObjectStore["Service"]
  readonly registry: ImageRegistry["Service"]
  readonly network: SimNetwork
  readonly nodes: ReadonlyArray<ClusterNode>
  /** the scheduler, Services/Endpoints/DNS and the ReplicaSet controller */
  readonly control: ControlPlane
  /** fault injection (container exit/OOM, registry outage, image preload) */
  readonly faults: Faults["Service"]
  /** the Eviction API (`pods/{name}/eviction`): a delete that honours PodDisruptionBudgets (429 when not) */
  evict(namespace: string, pod: string, options?: DeleteOptions): Effect.Effect<DeleteResult<Pod>, EvictionError>
  /** `kubectl cordon` / `uncordon`: returns kubectl's line */
  cordon(node: string): Effect.Effect<string, ClusterError>
  uncordon(node: string): Effect.Effect<string, ClusterError>
  /** `kubectl drain`: cordon, then evict every pod but DaemonSet pods (429s retried every 5 s), waiting on the clock */
  drain(node: string, options?: DrainOptions): Effect.Effect<DrainResult, ClusterError | EvictionError | DrainError>
  /** adds a node (Node object, runtime, kubelet) to the running cluster, then settles */
  addNode(node: string | NodeOptions): Effect.Effect<ClusterNode>
  /** epoch ms of the cluster's start (t = 0) */
  readonly startedAt: number
  /** ms since the start */
  readonly elapsed: Effect.Effect<number>
  /** creates or replaces each object (a YAML/JSON manifest or an object), then settles */
  apply(input: KubeObject | string): Effect.Effect<ReadonlyArray<KubeObject>, ClusterError>
  /** deletes `resource/name` (`pods`, `configmaps`, … or a kind), then settles */
  delete(resource: string, name: string, options?: DeleteRequest): Effect.Effect<DeleteResult, ClusterError>
  get<T extends KubeObject = KubeObject>(
    resource: string,
    name: string,
    namespace?: string
  ): Effect.Effect<T, ClusterError>
  /** the pod, or undefined when it does not exist */
  pod(name: string, namespace?: string): Effect.Effect<Pod | undefined>
  list<T extends KubeObject = KubeObject>(
    resource: string,
    options?: ListOptions
  ): Effect.Effect<ReadonlyArray<T>, ClusterError>
  /** runs every timer due in (now, now + d] in order; returns when the engine is quiescent */
  advance(duration: Duration.Input): Effect.Effect<void>
  /** waits until the engine is quiescent at the current time */
  readonly settle: Effect.Effect<void>
  /** `kubectl logs [--previous]` */
  logs(
    namespace: string,
    pod: string,
    container: string,
    options?: { readonly previous?: boolean }
  ): Effect.Effect<ReadonlyArray<LogLine>, ClusterError>
  /** `kubectl exec` into the container's running instance */
  exec(
    namespace: string,
    pod: string,
    container: string,
    argv: ReadonlyArray<string>
  ): Effect.Effect<ExecResult, ClusterError>
  /** the Events of a pod, oldest first */
  events(pod: string, namespace?: string): Effect.Effect<ReadonlyArray<Event>>
  /** `kubectl get pods [-n ns]` rows (all columns of `-o wide`), sorted by name */
  printPods(namespace?: string): Effect.Effect<ReadonlyArray<PodRow>>
}

const defaultStart = Date.parse("2025-01-01T00:00:00Z")

const isTestClock = (clock: Clock.Clock): clock is TestClock.TestClock =>
  typeof (clock as Partial<TestClock.TestClock>).adjust === "function" &&
  typeof (clock as Partial<TestClock.TestClock>).setTime === "function"

const nodeOptions = (entry: string | NodeOptions): NodeOptions => (typeof entry === "string" ? { name: entry } : entry)

const nodeObject = (options: NodeOptions, index: number, ip: string, now: number): Node => {
  const podCIDR = nodePodCIDR(index)
  const capacity = { cpu: options.cpu ?? "4", memory: options.memory ?? "8Gi", pods: options.pods ?? "110" }
  const time = toRfc3339(now)
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: options.name,
      labels: {
        "kubernetes.io/hostname": options.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64"
      }
    },
    spec: { podCIDR, podCIDRs: [podCIDR] },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        {
          type: "MemoryPressure",
          status: "False",
          reason: "KubeletHasSufficientMemory",
          message: "kubelet has sufficient memory available",
          lastHeartbeatTime: time,
          lastTransitionTime: time
        },
        {
          type: "DiskPressure",
          status: "False",
          reason: "KubeletHasNoDiskPressure",
          message: "kubelet has no disk pressure",
          lastHeartbeatTime: time,
          lastTransitionTime: time
        },
        {
          type: "PIDPressure",
          status: "False",
          reason: "KubeletHasSufficientPID",
          message: "kubelet has sufficient PID available",
          lastHeartbeatTime: time,
          lastTransitionTime: time
        },
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: time,
          lastTransitionTime: time
        }
      ],
      addresses: [
        { type: "InternalIP", address: ip },
        { type: "Hostname", address: options.name }
      ],
      nodeInfo: {
        machineID: options.name,
        systemUUID: options.name,
        bootID: `${options.name}-boot`,
        kernelVersion: "6.8.0-podlet",
        osImage: "podlet simulated node",
        containerRuntimeVersion: "containerd://1.7.24",
        kubeletVersion: "v1.33.0",
        kubeProxyVersion: "v1.33.0",
        operatingSystem: "linux",
        architecture: "amd64",
        ...options.nodeInfo
      }
    }
  }
}

/** The numeric creation order embedded in an event name (`<object>.<hex>`). */
const eventOrder = (event: Event): bigint => {
  const name = event.metadata.name ?? ""
  const hex = name.slice(name.lastIndexOf(".") + 1)
  try {
    return BigInt(`0x${hex}`)
  } catch {
    return 0n
  }
}

/** Builds a cluster in the current scope. */
export const makeCluster = Effect.fnUntraced(function* (
  options: ClusterOptions = {}
): Effect.fn.Return<Cluster, never, Scope.Scope> {
  const clock = yield* Clock.Clock
  if (isVirtualClock(clock) || isTestClock(clock)) {
    const start =
      options.startAt === undefined
        ? clock.currentTimeMillisUnsafe() === 0
          ? defaultStart
          : undefined
        : typeof options.startAt === "number"
          ? options.startAt
          : fromRfc3339(options.startAt)
    if (start !== undefined && start > clock.currentTimeMillisUnsafe()) yield* clock.setTime(start)
  }
  const startedAt = yield* Clock.currentTimeMillis

  const storeContext = yield* Layer.build(options.store ?? StoreMemory.layer)
  const store = Context.get(storeContext, ObjectStore)
  const registryContext = yield* Layer.build(options.imageRegistry ?? RegistrySimulated.layer(options.registry))
  const registry = Context.get(registryContext, ImageRegistry)
  // one event sequence: every recorder's events are named in the cluster's creation order
  const eventSequence = makeEventSequence()
  const recorderLayer = EventRecorderLive.layerWith(eventSequence).pipe(
    Layer.provide(Layer.succeedContext(storeContext))
  )
  const recorderContext = yield* Layer.build(recorderLayer)
  const network = SimNetwork.make()
  const recorder = Context.get(recorderContext, EventRecorder)
  const scope = yield* Effect.scope

  const nodes: Array<ClusterNode> = []
  const startNode = Effect.fnUntraced(function* (entry: string | NodeOptions, index: number) {
    const node = nodeOptions(entry)
    const ip = node.internalIP ?? nodeInternalIP(index)
    const images = makeImageCache((node.images ?? []).map((image) => catalogueImageInfo(image)))
    const podCIDR = nodePodCIDR(index)
    const runtimeContext = yield* Layer.build(
      options.runtime?.({ name: node.name, index, podCIDR, network, images }) ??
        RuntimeSimulated.layer({ nodeName: node.name, podCIDR, network, images })
    )
    const object = nodeObject(node, index, ip, startedAt)
    // A durable store may already hold this node (a restart over SQLite): the node comes back as after
    // a reboot, its object kept and its status reported afresh.
    yield* store.create("nodes", object).pipe(
      Effect.map((created) => created.object),
      Effect.catchTag("AlreadyExists", () => store.get<Node>("nodes", undefined, node.name)),
      Effect.flatMap((stored) => store.updateStatus("nodes", { ...stored, status: object.status })),
      Effect.orDie
    )
    // the node's own recorder: a kubelet's event correlation cache and spam filter are its own
    const nodeRecorderContext = yield* Layer.build(
      EventRecorderLive.layerWith(eventSequence, { spamFilter: true }).pipe(
        Layer.provide(Layer.succeedContext(storeContext))
      )
    )
    const agent = yield* makeNodeAgent({
      store,
      recorder: Context.get(nodeRecorderContext, EventRecorder),
      nodeName: node.name
    })
    const context = Context.add(
      Context.merge(Context.merge(storeContext, registryContext), Context.merge(nodeRecorderContext, runtimeContext)),
      ObjectStore,
      agent.link.store
    )
    const kubelet = yield* makeKubelet({ nodeName: node.name, nodeIP: ip, images, evictionOf: agent.evictionOf }).pipe(
      Effect.provideContext(context)
    )
    const runtime = Context.get(runtimeContext, ContainerRuntime)
    yield* agent.attach(kubelet, runtime)
    const added: ClusterNode = { name: node.name, runtime, images, kubelet, agent }
    nodes.push(added)
    return added
  })
  for (const [index, entry] of (options.nodes ?? ["n1"]).entries()) yield* startNode(entry, index)

  const control = yield* makeControlPlane({
    store,
    recorder,
    network,
    ...(options.kubernetesService !== undefined ? { kubernetesService: options.kubernetesService } : {}),
    ...(options.nodeLifecycle !== undefined ? { nodeLifecycle: options.nodeLifecycle } : {})
  })
  const faults = yield* makeFaults(() => nodes, { syncNode: control.nodes.lifecycle.syncNode }).pipe(
    Effect.provideContext(Context.merge(Context.merge(storeContext, registryContext), recorderContext))
  )

  /** Under the VirtualClock, quiescence is its scheduler's: no task left to run (O(1)). */
  const settleVirtual = isVirtualClock(clock) ? clock.settle : undefined

  const settlePolling: Effect.Effect<void> = Effect.gen(function* () {
    let quiet = 0
    let rounds = 0
    let lastVersion = ""
    while (quiet < 8) {
      yield* Effect.yieldNow
      if (++rounds > 200_000) return yield* Effect.die(new Error("the cluster did not settle"))
      const version = yield* store.resourceVersion
      let busy = version !== lastVersion || control.busy()
      lastVersion = version
      for (const node of nodes) {
        if (busy) break
        busy = yield* node.kubelet.busy
      }
      quiet = busy ? 0 : quiet + 1
    }
  })

  const settle = settleVirtual ?? settlePolling

  const advance = (duration: Duration.Input): Effect.Effect<void> =>
    Effect.gen(function* () {
      const current = yield* Clock.Clock
      if (isVirtualClock(current)) return yield* current.advance(duration)
      yield* settle
      if (isTestClock(current)) yield* current.adjust(duration)
      else yield* Effect.sleep(duration)
      yield* settle
    })

  const resourceOf = (resourceOrKind: string): string =>
    resourceForKind(resourceOrKind)?.resource ?? resourceOrKind.toLowerCase()

  const applyOne = (object: KubeObject): Effect.Effect<KubeObject, ClusterError> =>
    Effect.gen(function* () {
      const type = resourceForKind(object.kind)
      if (type === undefined) return yield* new BadRequest({ message: `no matches for kind "${object.kind}"` })
      const name = object.metadata.name
      const namespace = type.namespaced ? (object.metadata.namespace ?? "default") : undefined
      const existing =
        name === undefined
          ? undefined
          : yield* store.get(type.resource, namespace, name).pipe(Effect.orElseSucceed(() => undefined))
      if (existing === undefined) return (yield* store.create(type.resource, object)).object
      const replacement = {
        ...existing,
        ...object,
        metadata: {
          ...existing.metadata,
          ...(object.metadata.labels !== undefined ? { labels: object.metadata.labels } : {}),
          ...(object.metadata.annotations !== undefined ? { annotations: object.metadata.annotations } : {})
        }
      } as KubeObject
      return (yield* store.update(type.resource, replacement)).object
    })

  const apply = (input: KubeObject | string): Effect.Effect<ReadonlyArray<KubeObject>, ClusterError> =>
    Effect.gen(function* () {
      let objects: ReadonlyArray<KubeObject>
      if (typeof input === "string") {
        const parsed = parseManifests(input)
        if (Result.isFailure(parsed)) return yield* parsed.failure
        objects = parsed.success
      } else objects = [input]
      const out: Array<KubeObject> = []
      for (const object of objects) out.push(yield* applyOne(object))
      yield* settle
      return out
    })

  const remove = (resource: string, name: string, request: DeleteRequest = {}) =>
    Effect.gen(function* () {
      const options = {
        ...(request.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: request.gracePeriodSeconds } : {}),
        ...(request.propagationPolicy !== undefined ? { propagationPolicy: request.propagationPolicy } : {})
      }
      const result = yield* store.delete(resourceOf(resource), request.namespace ?? "default", name, options)
      yield* settle
      return result
    })

  const findPod = (name: string, namespace = "default") =>
    store.get<Pod>("pods", namespace, name).pipe(Effect.orElseSucceed(() => undefined))

  /** The instances of a pod's container on its node, newest last. */
  const instances = (namespace: string, podName: string, container: string) =>
    Effect.gen(function* () {
      const pod = yield* store.get<Pod>("pods", namespace, podName)
      const node = nodes.find((n) => n.name === pod.spec.nodeName)
      if (node === undefined) {
        return yield* new BadRequest({ message: `pod ${podName} does not have a host assigned` })
      }
      const all = yield* node.runtime.listContainers(pod.metadata.uid ?? "")
      const mine: ReadonlyArray<ContainerInfo> = all
        .filter((c) => c.name === container)
        .sort((a, b) => a.attempt - b.attempt || a.createdAt - b.createdAt)
      return { pod, node, instances: mine }
    })

  const logs = (namespace: string, podName: string, container: string, opts: { readonly previous?: boolean } = {}) =>
    Effect.gen(function* () {
      const found = yield* instances(namespace, podName, container)
      const list = found.instances
      const target = opts.previous === true ? list[list.length - 2] : list[list.length - 1]
      if (target === undefined) {
        return yield* new BadRequest({
          message:
            opts.previous === true
              ? `previous terminated container "${container}" in pod "${podName}" not found`
              : `container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`
        })
      }
      return yield* found.node.runtime.logs(target.id)
    })

  const exec = (namespace: string, podName: string, container: string, argv: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const found = yield* instances(namespace, podName, container)
      const running = found.instances.filter((c) => c.state === "running").pop()
      if (running === undefined) {
        return yield* new BadRequest({
          message: `unable to upgrade connection: container not found ("${container}")`
        })
      }
      return yield* found.node.runtime.exec(running.id, argv, 60)
    })

  const events = (podName: string, namespace = "default") =>
    store.list<Event>("events", { namespace }).pipe(
      Effect.map((result) =>
        result.items
          .filter((e) => e.involvedObject.name === podName && e.involvedObject.kind === "Pod")
          .sort((a, b) => (eventOrder(a) < eventOrder(b) ? -1 : eventOrder(a) > eventOrder(b) ? 1 : 0))
      ),
      Effect.orElseSucceed(() => [] as ReadonlyArray<Event>)
    )

  const printPods = (namespace?: string) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const listed = yield* store
        .list<Pod>("pods", namespace !== undefined ? { namespace } : {})
        .pipe(Effect.orElseSucceed(() => ({ items: [] as ReadonlyArray<Pod> })))
      return [...listed.items]
        .sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1))
        .map((pod) => printPod(pod, now))
    })

  return {
    store,
    registry,
    network,
    nodes,
    control,
    faults,
    evict: (namespace, pod, deleteOptions) => Effect.tap(evictPod(store, namespace, pod, deleteOptions), () => settle),
    cordon: (node) => Effect.tap(setUnschedulable(store, node, true), () => settle),
    uncordon: (node) => Effect.tap(setUnschedulable(store, node, false), () => settle),
    drain: (node, drainOptions) => drainNode({ store, advance, settle }, node, drainOptions),
    addNode: (entry) => Effect.tap(Scope.provide(startNode(entry, nodes.length), scope), () => settle),
    startedAt,
    elapsed: Effect.map(Clock.currentTimeMillis, (now) => now - startedAt),
    apply,
    delete: remove,
    get: <T extends KubeObject = KubeObject>(resource: string, name: string, namespace?: string) =>
      store.get<T>(resourceOf(resource), namespace ?? "default", name),
    pod: findPod,
    list: <T extends KubeObject = KubeObject>(resource: string, listOptions?: ListOptions) =>
      store.list<T>(resourceOf(resource), listOptions).pipe(Effect.map((r) => r.items)),
    advance,
    settle,
    logs,
    exec,
    events,
    printPods
  } satisfies Cluster
})
