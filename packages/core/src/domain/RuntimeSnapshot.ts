/**
 * What the kubelet sees of one pod in the container runtime: its newest sandbox and every container instance
 * still known (current and previous ones). The kubelet engine builds it from the ContainerRuntime service; the
 * domain decisions (`PodActions`, `ContainerStatuses`, `Phase`, `Conditions`) read it. It mirrors
 * `kubecontainer.PodStatus` (K-mgr, K-helpers; spec pod-lifecycle §3, §4.2). Times are epoch ms.
 */
import type { Pod } from "../api/Pod.js"

/** CRI container states (`kubecontainer.State`). */
export type ContainerRuntimeState = "created" | "running" | "exited" | "unknown"

/** One container instance in the runtime; a restart creates a new instance with `restartCount + 1`. */
export interface ContainerInstance {
  /** Runtime id, e.g. `containerd://3f2a…`; also the key of probe results. */
  readonly id: string
  readonly name: string
  /** The sandbox the instance was created in. */
  readonly sandboxId: string
  readonly state: ContainerRuntimeState
  /** `containerHash(spec)` of the spec it was created from (`Backoff.containerHash`). */
  readonly hash: string
  readonly restartCount: number
  readonly image: string
  readonly imageID: string
  readonly createdAt: number
  readonly startedAt?: number
  readonly finishedAt?: number
  /** Set once exited. */
  readonly exitCode?: number
  readonly signal?: number
  /** Runtime terminated reason: `Completed`, `Error`, `OOMKilled`, `StartError` (§3.3). */
  readonly reason?: string
  readonly message?: string
}

/** The newest pod sandbox (`kubecontainer.PodStatus.SandboxStatuses[0]`). */
export interface SandboxInstance {
  readonly id: string
  readonly state: "ready" | "notready"
  /** Sandbox creation attempt: 0 for the first sandbox of the pod, +1 for each re-creation. */
  readonly attempt: number
  readonly ip?: string
  readonly createdAt: number
}

/** The runtime's view of one pod. `containers` may be in any order; helpers below sort newest first. */
export interface RuntimeSnapshot {
  readonly sandbox?: SandboxInstance
  readonly containers: ReadonlyArray<ContainerInstance>
  /**
   * the runtime's revision of the pod at which this listing was last seen (`podRevisionUnsafe`), when the
   * runtime offers revisions: a cache kept by the kubelet's `PodRuntime`, which moves it forward
   */
  revision?: number | undefined
}

/** A snapshot of a pod the runtime has never seen. */
export const emptySnapshot: RuntimeSnapshot = { containers: [] }

const newestFirst = (a: ContainerInstance, b: ContainerInstance): number =>
  b.createdAt - a.createdAt || b.restartCount - a.restartCount

/** Instances by container name, newest first, per snapshot (snapshots are immutable and asked many times). */
const byName = new WeakMap<RuntimeSnapshot, Map<string, ReadonlyArray<ContainerInstance>>>()

const none: ReadonlyArray<ContainerInstance> = []

/** All instances of container `name`, newest first (`SortContainerStatusesByCreationTime` reversed). */
export const instancesOf = (snapshot: RuntimeSnapshot, name: string): ReadonlyArray<ContainerInstance> => {
  let index = byName.get(snapshot)
  if (index === undefined) {
    const grouped = new Map<string, Array<ContainerInstance>>()
    for (const c of snapshot.containers) {
      const list = grouped.get(c.name)
      if (list === undefined) grouped.set(c.name, [c])
      else list.push(c)
    }
    for (const list of grouped.values()) list.sort(newestFirst)
    index = grouped
    byName.set(snapshot, index)
  }
  return index.get(name) ?? none
}

/** The newest instance of container `name` (`PodStatus.FindContainerStatusByName`). */
export const latestInstance = (snapshot: RuntimeSnapshot, name: string): ContainerInstance | undefined =>
  instancesOf(snapshot, name)[0]

/** The newest exited instance of container `name`: the one the restart backoff measures from (K-mgr `doBackOff`). */
export const latestExitedInstance = (snapshot: RuntimeSnapshot, name: string): ContainerInstance | undefined =>
  instancesOf(snapshot, name).find((c) => c.state === "exited")

/**
 * Whether a new sandbox must be created (`runtimeutil.PodSandboxChanged`): none exists, or the newest is not ready.
 * Returns the attempt number for the new sandbox and the id of the sandbox to replace.
 */
export const podSandboxChanged = (
  snapshot: RuntimeSnapshot
): { readonly changed: boolean; readonly attempt: number; readonly sandboxId?: string } => {
  const sandbox = snapshot.sandbox
  if (sandbox === undefined) return { changed: true, attempt: 0 }
  if (sandbox.state !== "ready") return { changed: true, attempt: sandbox.attempt + 1, sandboxId: sandbox.id }
  return { changed: false, attempt: sandbox.attempt, sandboxId: sandbox.id }
}

/**
 * `kubecontainer.HasAnyActiveRegularContainerStarted`: an app container instance of the current sandbox exists in
 * state created, running or exited ("active" = in the ready sandbox). Feeds `getPhase`'s `podHasInitialized`.
 */
export const hasAnyActiveRegularContainerStarted = (pod: Pod, snapshot: RuntimeSnapshot): boolean => {
  if (snapshot.sandbox?.state !== "ready") return false
  const sandboxId = snapshot.sandbox.id
  for (const c of snapshot.containers) {
    if (c.sandboxId === sandboxId && c.state !== "unknown" && isAppContainer(pod, c.name)) return true
  }
  return false
}

const isAppContainer = (pod: Pod, name: string): boolean => {
  for (const c of pod.spec.containers) if (c.name === name) return true
  return false
}
