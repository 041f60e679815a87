// The pods-by-node index: one index shared by several handlers of the same informer events (each
// event applied once) keeps what a private index of each handler would keep.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { Pod } from "../../src/api/Pod.js"
import type { InformerEvent } from "../../src/control/Informer.js"
import type { NodePodIndex } from "../../src/control/NodePodIndex.js"
import { makeNodePodIndex } from "../../src/control/NodePodIndex.js"

const nodes = ["", "n1", "n2", "n3"]

const podOn = (name: string, node: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { containers: [{ name: "c", image: "busybox" }], ...(node !== "" ? { nodeName: node } : {}) }
})

/** informer events for a sequence of (pod, node or deleted) changes, each with the cached old object */
const eventsOf = (changes: ReadonlyArray<readonly [number, number]>): Array<InformerEvent<Pod>> => {
  const cache = new Map<string, Pod>()
  const events: Array<InformerEvent<Pod>> = []
  for (const [p, n] of changes) {
    const key = `default/p${p}`
    const old = cache.get(key)
    if (n === nodes.length) {
      if (old === undefined) continue
      cache.delete(key)
      events.push({ type: "DELETED", key, object: old, old })
      continue
    }
    const object = podOn(`p${p}`, nodes[n]!)
    cache.set(key, object)
    events.push({ type: old === undefined ? "ADDED" : "MODIFIED", key, object, old })
  }
  return events
}

const contents = (index: NodePodIndex) => nodes.map((node) => [...index.keys(node)].sort())

describe("NodePodIndex", () => {
  it("shared by three handlers (each observing every event) agrees with a private index", () =>
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: nodes.length })), {
          maxLength: 60
        }),
        (changes) => {
          const shared = makeNodePodIndex()
          const own = makeNodePodIndex()
          for (const event of eventsOf(changes)) {
            const answers = [shared.observe(event), shared.observe(event), shared.observe(event)]
            const expected = own.observe(event)
            expect(answers).toEqual([expected, expected, expected])
            expect(contents(shared)).toEqual(contents(own))
          }
        }
      )
    ))

  it("a pod moved between nodes and deleted leaves no key behind", () => {
    const index = makeNodePodIndex()
    for (const event of eventsOf([
      [0, 1],
      [0, 2],
      [1, 2],
      [0, nodes.length]
    ])) {
      index.observe(event)
    }
    expect(contents(index)).toEqual([[], [], ["default/p1"], []])
  })
})
