// The scheduling cycle's O(log n) index for plain pods must pick what the filter pass picks.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { PodSpec } from "../../src/api/Pod.js"
import type { NodeState } from "../../src/control/SchedulingDecision.js"
import {
  accountPod,
  makeNodeState,
  scheduleOne,
  schedulingPod,
  updateNodeState
} from "../../src/control/SchedulingDecision.js"
import { makeScoreIndex } from "../../src/control/ScoreIndex.js"

interface NodeCase {
  readonly unschedulable: boolean
  readonly taint: string
  readonly cpu: string
  readonly pods: string
}

interface PodCase {
  readonly cpu: string | undefined
  readonly memory: string | undefined
  readonly tolerate: boolean
  readonly prefer: boolean
}

const nodeInput = (name: string, n: NodeCase) => ({
  name,
  labels: { "kubernetes.io/hostname": name },
  unschedulable: n.unschedulable,
  taints: n.taint === "" ? [] : [{ key: "k", effect: n.taint as "NoSchedule" | "PreferNoSchedule" }],
  allocatable: { cpu: n.cpu, memory: "4Gi", pods: n.pods }
})

const nodeArb: fc.Arbitrary<NodeCase> = fc.record({
  unschedulable: fc.constantFrom(false, false, false, true),
  taint: fc.constantFrom("", "", "", "", "NoSchedule", "PreferNoSchedule"),
  cpu: fc.constantFrom("1", "2", "4"),
  pods: fc.constantFrom("1", "3", "110")
})

const podArb: fc.Arbitrary<PodCase> = fc.record({
  cpu: fc.constantFrom(undefined, "100m", "700m"),
  memory: fc.constantFrom(undefined, "300Mi"),
  tolerate: fc.constantFrom(false, false, false, true),
  prefer: fc.constantFrom(false, false, false, true)
})

const specOf = (p: PodCase): PodSpec => {
  const requests: Record<string, string> = {}
  if (p.cpu !== undefined) requests.cpu = p.cpu
  if (p.memory !== undefined) requests.memory = p.memory
  const spec: PodSpec = {
    containers: [
      { name: "app", image: "busybox", ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}) }
    ],
    ...(p.tolerate ? { tolerations: [{ key: "k", operator: "Exists" as const }] } : {}),
    ...(p.prefer
      ? {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 5,
                  preference: {
                    matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In" as const, values: ["n001"] }]
                  }
                }
              ]
            }
          }
        }
      : {})
  }
  return spec
}

type Op =
  | { readonly op: "pod"; readonly pod: PodCase }
  | { readonly op: "remove"; readonly at: number }
  | { readonly op: "update"; readonly at: number; readonly node: NodeCase }
  | { readonly op: "add"; readonly node: NodeCase }
  | { readonly op: "drop"; readonly at: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: podArb.map((pod) => ({ op: "pod" as const, pod })) },
  { weight: 2, arbitrary: fc.nat().map((at) => ({ op: "remove" as const, at })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), nodeArb).map(([at, node]) => ({ op: "update" as const, at, node })) },
  { weight: 1, arbitrary: nodeArb.map((node) => ({ op: "add" as const, node })) },
  { weight: 1, arbitrary: fc.nat().map((at) => ({ op: "drop" as const, at })) }
)

describe("ScoreIndex", () => {
  it("decides as scheduleOne over random clusters, pods, bindings, removals and node changes", () => {
    let covered = 0
    fc.assert(
      fc.property(
        fc.array(nodeArb, { maxLength: 140, size: "max" }),
        fc.array(opArb, { maxLength: 120, size: "max" }),
        fc.nat(300),
        fc.constantFrom(false, false, false, true),
        (initial, ops, start0, softTaints) => {
          /** PreferNoSchedule taints in a quarter of the runs only (any one sends every pod to the filter pass) */
          const inputOf = (name: string, n: NodeCase) =>
            nodeInput(name, softTaints || n.taint !== "PreferNoSchedule" ? n : { ...n, taint: "" })
          let serial = 0
          const nameOf = () => `n${String(serial++).padStart(3, "0")}`
          let nodes: Array<NodeState> = initial.map((n) => makeNodeState(inputOf(nameOf(), n)))
          const index = makeScoreIndex()
          index.reset(nodes)
          const bound: Array<{ node: NodeState; usage: Parameters<typeof accountPod>[1] }> = []
          let start = start0
          for (const op of ops) {
            if (op.op === "pod") {
              const pod = schedulingPod(specOf(op.pod))
              const expected = scheduleOne(pod, nodes, start)
              const fast = index.schedule(pod, start)
              if (fast !== undefined) {
                covered++
                expect(expected._tag).toBe("Scheduled")
                expect(fast._tag === "Scheduled" && fast.node.name).toBe(
                  expected._tag === "Scheduled" && expected.node.name
                )
                expect(fast.nextStartIndex).toBe(expected.nextStartIndex)
              }
              start = expected.nextStartIndex
              if (expected._tag === "Scheduled") {
                const usage = { requests: pod.requests, hostPorts: pod.hostPorts }
                accountPod(expected.node, usage, 1)
                index.changed(expected.node)
                bound.push({ node: expected.node, usage })
              }
            } else if (op.op === "remove" && bound.length > 0) {
              const [entry] = bound.splice(op.at % bound.length, 1)
              accountPod(entry!.node, entry!.usage, -1)
              index.changed(entry!.node)
            } else if (op.op === "update" && nodes.length > 0) {
              const node = nodes[op.at % nodes.length]!
              updateNodeState(node, inputOf(node.name, op.node))
              index.changed(node)
            } else if (op.op === "add") {
              nodes = [...nodes, makeNodeState(inputOf(nameOf(), op.node))]
              index.reset(nodes)
            } else if (op.op === "drop" && nodes.length > 0) {
              const gone = nodes[op.at % nodes.length]!
              nodes = nodes.filter((n) => n !== gone)
              index.reset(nodes)
            }
          }
        }
      ),
      { numRuns: 150 }
    )
    // the index answered for a good share of the pods (the comparison above is not vacuous)
    expect(covered).toBeGreaterThan(1000)
  })

  it("covers plain pods and leaves the rest to the filter pass", () => {
    const nodes = ["a", "b", "c"].map((name) =>
      makeNodeState(nodeInput(name, { unschedulable: false, taint: "", cpu: "4", pods: "110" }))
    )
    const index = makeScoreIndex()
    index.reset(nodes)
    const plain = schedulingPod(specOf({ cpu: "100m", memory: undefined, tolerate: false, prefer: false }))
    expect(index.schedule(plain, 0)).toMatchObject({ _tag: "Scheduled", node: { name: "a" }, nextStartIndex: 0 })
    const tolerating = schedulingPod(specOf({ cpu: undefined, memory: undefined, tolerate: true, prefer: false }))
    expect(index.schedule(tolerating, 0)).toMatchObject({ node: { name: "a" } })
    expect(
      index.schedule(schedulingPod(specOf({ cpu: "64", memory: undefined, tolerate: false, prefer: false })), 0)
    ).toBeUndefined()
    accountPod(nodes[0]!, { requests: plain.requests, hostPorts: [] }, 1)
    index.changed(nodes[0]!)
    expect(index.schedule(plain, 1)).toMatchObject({ node: { name: "b" } })
    // a cordoned node: its verdict depends on the pod's tolerations, so tolerating pods go to the filter pass
    updateNodeState(nodes[1]!, nodeInput("b", { unschedulable: true, taint: "", cpu: "4", pods: "110" }))
    index.changed(nodes[1]!)
    expect(index.schedule(tolerating, 0)).toBeUndefined()
    expect(index.schedule(plain, 1)).toMatchObject({ node: { name: "c" } })
    updateNodeState(
      nodes[2]!,
      nodeInput("c", { unschedulable: false, taint: "PreferNoSchedule", cpu: "4", pods: "110" })
    )
    index.changed(nodes[2]!)
    expect(index.schedule(plain, 0)).toBeUndefined()
  })
})
