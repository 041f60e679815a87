/**
 * What both dashboard sources keep of a cluster: the objects of the listed resources as their
 * watches report them, one snapshot rebuilt only after a change (each resource's array only when
 * that resource changed, so the views keep their work per array), and change notifications to the
 * views at most every `notifyMs` (leading and trailing edge: a busy cluster costs at most 10 frames
 * a second at the default; keypresses render at once in the app).
 */
import type { Event, KubeObject, Node, Pod, ReplicaSet, Service } from "@podlet/core"
import type { ClusterSnapshot } from "./DashboardSource.js"

/** The resources a snapshot lists, by the snapshot's field names. */
export const snapshotResources = ["pods", "events", "nodes", "replicaSets", "services", "namespaces"] as const
export type SnapshotResource = (typeof snapshotResources)[number]

/** One change a watch reports. */
export interface WatchChange {
  readonly type: string
  readonly object: KubeObject
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`

export const makeSnapshotStore = (options: { readonly now: number; readonly notifyMs?: number }) => {
  const objects = new Map<SnapshotResource, Map<string, KubeObject>>(snapshotResources.map((r) => [r, new Map()]))
  const arrays = new Map<SnapshotResource, ReadonlyArray<KubeObject>>()
  const listeners = new Set<() => void>()
  const notifyMs = options.notifyMs ?? 100
  let now = options.now
  let cached: ClusterSnapshot | undefined
  let lastNotify = 0
  let pending: ReturnType<typeof setTimeout> | undefined
  let closed = false

  const notify = () => {
    pending = undefined
    lastNotify = Date.now()
    for (const listener of listeners) listener()
  }
  const changed = (resource?: SnapshotResource) => {
    cached = undefined
    if (resource !== undefined) arrays.delete(resource)
    if (pending !== undefined || closed) return
    const wait = lastNotify + notifyMs - Date.now()
    if (wait <= 0) notify()
    else pending = setTimeout(notify, wait)
  }
  const values = <T>(resource: SnapshotResource): ReadonlyArray<T> => {
    let array = arrays.get(resource)
    if (array === undefined) {
      array = [...objects.get(resource)!.values()]
      arrays.set(resource, array)
    }
    return array as unknown as ReadonlyArray<T>
  }

  return {
    /** a watch event of `resource` */
    apply(resource: SnapshotResource, event: WatchChange): void {
      const map = objects.get(resource)!
      if (event.type === "DELETED") map.delete(keyOf(event.object))
      else if (event.type === "ADDED" || event.type === "MODIFIED") map.set(keyOf(event.object), event.object)
      changed(resource)
    },
    /** forgets a resource's objects (its watch starts again from a full list) */
    reset(resource: SnapshotResource): void {
      objects.get(resource)!.clear()
      arrays.delete(resource)
    },
    /** the cluster's time moved: the views hear of it when the second they show changes */
    setNow(ms: number): void {
      const before = now
      now = ms
      if (Math.floor(now / 1000) !== Math.floor(before / 1000)) changed()
      else cached = undefined
    },
    /** something other than the objects changed (e.g. the clock's state) */
    changed: (): void => changed(),
    snapshot(): ClusterSnapshot {
      if (cached === undefined) {
        cached = {
          now,
          pods: values<Pod>("pods"),
          events: values<Event>("events"),
          nodes: values<Node>("nodes"),
          replicaSets: values<ReplicaSet>("replicaSets"),
          services: values<Service>("services"),
          namespaces: values<KubeObject>("namespaces").map((n) => n.metadata.name ?? "")
        }
      }
      return cached
    },
    subscribe(listener: () => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close(): void {
      closed = true
      if (pending !== undefined) clearTimeout(pending)
    }
  }
}
