/**
 * An index of pod keys by `spec.nodeName` (the `spec.nodeName` indexer node controllers give their
 * pod informers), fed with the pod informer's events.
 */
import type { Pod } from "../api/Pod.js"
import type { InformerEvent } from "./Informer.js"

export interface NodePodIndex {
  /** feeds one pod informer event; returns the node the pod is now bound to ("" when none or deleted) */
  observe(event: InformerEvent<Pod>): string
  /** the keys (`namespace/name`) of the pods bound to `node` */
  keys(node: string): ReadonlyArray<string>
}

/** An index; one may be shared by the controllers of one pod informer (each event is applied once). */
export const makeNodePodIndex = (): NodePodIndex => {
  const byNode = new Map<string, Set<string>>()
  /** the event applied last and its answer: the informer hands one event object to every handler */
  let lastEvent: InformerEvent<Pod> | undefined
  let lastNode = ""
  return {
    observe: (event) => {
      if (event === lastEvent) return lastNode
      lastEvent = event
      lastNode = event.type === "DELETED" ? "" : (event.object.spec.nodeName ?? "")
      const key = event.key
      const before = event.old?.spec.nodeName ?? ""
      const after = event.type === "DELETED" ? "" : (event.object.spec.nodeName ?? "")
      if (before !== after) {
        if (before !== "") {
          const set = byNode.get(before)
          set?.delete(key)
          if (set?.size === 0) byNode.delete(before)
        }
        if (after !== "") {
          let set = byNode.get(after)
          if (set === undefined) {
            set = new Set()
            byNode.set(after, set)
          }
          set.add(key)
        }
      }
      return after
    },
    keys: (node) => [...(byNode.get(node) ?? [])]
  }
}
