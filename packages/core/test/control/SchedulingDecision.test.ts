// The scheduler's pure decision (spec §10.1, H1): filter tables per plugin, scores, round robin, FitError messages.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { Taint } from "../../src/api/Objects.js"
import type { Container, PodSpec } from "../../src/api/Pod.js"
import type { NodeInput, NodeState } from "../../src/control/SchedulingDecision.js"
import {
  accountPod,
  filterNode,
  fitErrorMessage,
  fitsNode,
  makeNodeState,
  numFeasibleNodesToFind,
  podRequests,
  type ScheduleResult,
  type SchedulingPod,
  scheduleOne,
  schedulingPod,
  scoreNodes,
  toleratesTaint
} from "../../src/control/SchedulingDecision.js"

const node = (name: string, extra: Partial<NodeInput> = {}): NodeState =>
  makeNodeState({
    name,
    labels: { "kubernetes.io/hostname": name },
    allocatable: { cpu: "4", memory: "8Gi", pods: "110" },
    ...extra
  })

const app = (requests?: Record<string, string>, extra: Partial<Container> = {}): Container => ({
  name: "app",
  image: "busybox",
  ...(requests !== undefined ? { resources: { requests } } : {}),
  ...extra
})

const spec = (extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [app()], ...extra })

/** The filter's reasons; the yes/no filter the scheduling cycle uses must agree with it. */
const reasonsOf = (s: PodSpec, n: NodeState) => {
  const pod = schedulingPod(s)
  const rejection = filterNode(pod, n)
  expect(fitsNode(pod, n)).toBe(rejection === undefined)
  return rejection?.reasons ?? []
}

const controlPlaneTaint: Taint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }

describe("pod requests (resourcehelper.PodRequests)", () => {
  it.each([
    ["best effort: zero, non-zero defaults 100m/200Mi", spec(), [0, 0, 100, 200 * 1024 * 1024]],
    [
      "two containers sum",
      spec({ containers: [app({ cpu: "250m" }), { ...app({ cpu: "1", memory: "1Gi" }), name: "b" }] }),
      [1250, 1024 ** 3, 1250, 1024 ** 3 + 200 * 1024 * 1024]
    ],
    [
      "init container larger than the apps wins",
      spec({ containers: [app({ cpu: "100m" })], initContainers: [{ ...app({ cpu: "2" }), name: "init" }] }),
      [2000, 0, 2000, 200 * 1024 * 1024]
    ],
    [
      "a sidecar adds to the apps and to later init containers",
      spec({
        containers: [app({ cpu: "1" })],
        initContainers: [
          { ...app({ cpu: "500m" }), name: "side", restartPolicy: "Always" },
          { ...app({ cpu: "1200m" }), name: "init" }
        ]
      }),
      [1700, 0, 1700, 2 * 200 * 1024 * 1024]
    ]
  ] as const)("%s", (_name, s, [cpu, memory, nzCpu, nzMemory]) => {
    const r = podRequests(s)
    expect([r.cpu, r.memory, r.nonZeroCpu, r.nonZeroMemory]).toEqual([cpu, memory, nzCpu, nzMemory])
  })
})

describe("filters (default plugin order, first rejecting plugin wins)", () => {
  const full = (() => {
    const n = node("full", { allocatable: { cpu: "4", memory: "8Gi", pods: "1" } })
    accountPod(n, { requests: podRequests(spec({ containers: [app({ cpu: "3", memory: "7Gi" })] })), hostPorts: [] }, 1)
    return n
  })()
  it.each([
    ["fits an empty node", spec({ containers: [app({ cpu: "1" })] }), node("n1"), []],
    ["cpu over allocatable", spec({ containers: [app({ cpu: "64" })] }), node("n1"), ["Insufficient cpu"]],
    ["memory over allocatable", spec({ containers: [app({ memory: "9Gi" })] }), node("n1"), ["Insufficient memory"]],
    [
      "pods, cpu and memory at once on a full node",
      spec({ containers: [app({ cpu: "2", memory: "2Gi" })] }),
      full,
      ["Too many pods", "Insufficient cpu", "Insufficient memory"]
    ],
    [
      "extended resource the node lacks",
      spec({ containers: [app({ "nvidia.com/gpu": "1" })] }),
      node("n1"),
      ["Insufficient nvidia.com/gpu"]
    ],
    [
      "nodeSelector mismatch",
      spec({ nodeSelector: { disk: "ssd" } }),
      node("n1"),
      ["node(s) didn't match Pod's node affinity/selector"]
    ],
    ["nodeSelector match", spec({ nodeSelector: { disk: "ssd" } }), node("n1", { labels: { disk: "ssd" } }), []],
    [
      "untolerated NoSchedule taint",
      spec(),
      node("cp", { taints: [controlPlaneTaint] }),
      ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"]
    ],
    [
      "taint tolerated with Exists",
      spec({
        tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }]
      }),
      node("cp", { taints: [controlPlaneTaint] }),
      []
    ],
    [
      "NoExecute taint with a value",
      spec(),
      node("n1", { taints: [{ key: "dedicated", value: "gpu", effect: "NoExecute" }] }),
      ["node(s) had untolerated taint {dedicated: gpu}"]
    ],
    [
      "PreferNoSchedule does not filter",
      spec(),
      node("n1", { taints: [{ key: "soft", effect: "PreferNoSchedule" }] }),
      []
    ],
    ["cordoned node", spec(), node("n1", { unschedulable: true }), ["node(s) were unschedulable"]],
    [
      "cordoned node tolerated",
      spec({ tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] }),
      node("n1", { unschedulable: true }),
      []
    ],
    [
      "unschedulable is checked before taints and resources",
      spec({ containers: [app({ cpu: "64" })] }),
      node("n1", { unschedulable: true, taints: [controlPlaneTaint] }),
      ["node(s) were unschedulable"]
    ]
  ] as const)("%s", (_name, s, n, expected) => {
    expect(reasonsOf(s, n)).toEqual(expected)
  })

  const affinity = (terms: NonNullable<PodSpec["affinity"]>) => spec({ affinity: terms })
  const required = (...terms: Array<{ matchExpressions?: Array<unknown>; matchFields?: Array<unknown> }>) =>
    affinity({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as never } }
    })
  const zoned = node("n1", { labels: { zone: "a", cores: "8" } })
  it.each([
    ["In matches", required({ matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] }), true],
    ["In misses", required({ matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }), false],
    [
      "NotIn with the label absent matches",
      required({ matchExpressions: [{ key: "gpu", operator: "NotIn", values: ["x"] }] }),
      true
    ],
    ["NotIn misses", required({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }), false],
    ["Exists", required({ matchExpressions: [{ key: "zone", operator: "Exists" }] }), true],
    ["DoesNotExist", required({ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }), false],
    ["Gt", required({ matchExpressions: [{ key: "cores", operator: "Gt", values: ["4"] }] }), true],
    ["Lt", required({ matchExpressions: [{ key: "cores", operator: "Lt", values: ["4"] }] }), false],
    ["Gt on a non-number", required({ matchExpressions: [{ key: "zone", operator: "Gt", values: ["1"] }] }), false],
    [
      "matchFields metadata.name",
      required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }),
      true
    ],
    [
      "matchFields other name",
      required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["n2"] }] }),
      false
    ],
    [
      "terms are ORed",
      required(
        { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] },
        { matchExpressions: [{ key: "cores", operator: "Exists" }] }
      ),
      true
    ],
    ["an empty term matches nothing", required({}), false]
  ] as const)("node affinity: %s", (_name, s, fits) => {
    expect(filterNode(schedulingPod(s), zoned) === undefined).toBe(fits)
    expect(fitsNode(schedulingPod(s), zoned)).toBe(fits)
  })

  it("host ports in use on the node", () => {
    const withPort = spec({ containers: [app(undefined, { ports: [{ containerPort: 80, hostPort: 8080 }] })] })
    const n = node("n1")
    expect(reasonsOf(withPort, n)).toEqual([])
    accountPod(n, { requests: podRequests(withPort), hostPorts: schedulingPod(withPort).hostPorts }, 1)
    expect(reasonsOf(withPort, n)).toEqual(["node(s) didn't have free ports for the requested pod ports"])
  })

  it.each([
    [{ operator: "Exists" }, { key: "k", value: "v", effect: "NoSchedule" }, true],
    [{ key: "k", operator: "Equal", value: "v" }, { key: "k", value: "v", effect: "NoExecute" }, true],
    [{ key: "k", value: "w" }, { key: "k", value: "v", effect: "NoSchedule" }, false],
    [{ key: "k", operator: "Exists", effect: "NoExecute" }, { key: "k", effect: "NoSchedule" }, false],
    [{ key: "other", operator: "Exists" }, { key: "k", effect: "NoSchedule" }, false]
  ] as const)("toleration %j vs taint %j → %s", (t, taint, expected) => {
    expect(toleratesTaint(t, taint as Taint)).toBe(expected)
  })
})

describe("scores and selection", () => {
  it("least allocated wins; ties go to the lowest name", () => {
    const a = node("a")
    const b = node("b")
    const c = node("c")
    accountPod(a, { requests: podRequests(spec({ containers: [app({ cpu: "2", memory: "2Gi" })] })), hostPorts: [] }, 1)
    const result = scheduleOne(schedulingPod(spec()), [a, b, c], 0)
    expect(result._tag === "Scheduled" && result.node.name).toBe("b")
  })

  it("PreferNoSchedule taints and preferred node affinity weigh in", () => {
    const soft = node("a", { taints: [{ key: "soft", effect: "PreferNoSchedule" }] })
    const plain = node("b")
    const pick = (s: PodSpec, nodes: ReadonlyArray<NodeState>) => {
      const r = scheduleOne(schedulingPod(s), nodes, 0)
      return r._tag === "Scheduled" ? r.node.name : r.message
    }
    expect(pick(spec(), [soft, plain])).toBe("b")
    expect(pick(spec({ tolerations: [{ key: "soft", operator: "Exists" }] }), [soft, plain])).toBe("a")
    const preferred = spec({
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              preference: { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["c"] }] }
            }
          ]
        }
      }
    })
    expect(pick(preferred, [node("b"), node("c")])).toBe("c")
  })

  it("spreads identical pods over nodes as allocations grow", () => {
    const nodes = ["n1", "n2", "n3"].map((n) => node(n))
    const placed: Array<string> = []
    let start = 0
    for (let i = 0; i < 6; i++) {
      const pod = schedulingPod(spec())
      const result = scheduleOne(pod, nodes, start)
      if (result._tag !== "Scheduled") throw new Error(result.message)
      start = result.nextStartIndex
      accountPod(result.node, { requests: pod.requests, hostPorts: [] }, 1)
      placed.push(result.node.name)
    }
    expect(placed).toEqual(["n1", "n2", "n3", "n1", "n2", "n3"])
  })

  it.each([
    [50, 50],
    [100, 100],
    [1000, 420],
    [5000, 500],
    [10000, 500]
  ])("numFeasibleNodesToFind(%i) = %i", (all, expected) => {
    expect(numFeasibleNodesToFind(all)).toBe(expected)
  })
})

describe("FitError messages (kube-scheduler wording)", () => {
  it("H1: one node without enough cpu", () => {
    const result = scheduleOne(schedulingPod(spec({ containers: [app({ cpu: "64" })] })), [node("n1")], 0)
    expect(result).toMatchObject({
      _tag: "Unschedulable",
      message:
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    })
  })

  it("reasons are counted, sorted as strings, and split by whether preemption could help", () => {
    const nodes = [
      node("cp1", { taints: [controlPlaneTaint] }),
      node("cp2", { taints: [controlPlaneTaint] }),
      node("w1")
    ]
    const result = scheduleOne(schedulingPod(spec({ containers: [app({ cpu: "8" })] })), nodes, 0)
    expect(result._tag === "Unschedulable" && result.message).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. " +
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    )
  })

  it("only unresolvable reasons: preemption is not helpful", () => {
    const nodes = [node("a"), node("b"), node("c")]
    const result = scheduleOne(schedulingPod(spec({ nodeSelector: { disk: "ssd" } })), nodes, 0)
    expect(result._tag === "Unschedulable" && result.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
  })

  it("preemptionPolicy Never, and no nodes at all", () => {
    expect(fitErrorMessage(1, [{ reasons: ["Insufficient memory"], resolvable: true }], true)).toBe(
      "0/1 nodes are available: 1 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never."
    )
    expect(scheduleOne(schedulingPod(spec()), [], 0)).toMatchObject({ message: "no nodes available to schedule pods" })
  })
})

/** The cycle as written upstream: filter with reasons, collect the feasible list, score it, pick the best. */
const scheduleOneReference = (
  pod: SchedulingPod,
  nodes: ReadonlyArray<NodeState>,
  startIndex: number
): ScheduleResult => {
  const total = nodes.length
  if (total === 0) return { _tag: "Unschedulable", message: "no nodes available to schedule pods", nextStartIndex: 0 }
  const wanted = numFeasibleNodesToFind(total)
  const start = startIndex % total
  const feasible: Array<NodeState> = []
  const rejections = []
  let processed = 0
  for (let i = 0; i < total && feasible.length < wanted; i++) {
    const node = nodes[(start + i) % total]!
    processed++
    const rejection = filterNode(pod, node)
    if (rejection === undefined) feasible.push(node)
    else rejections.push(rejection)
  }
  const nextStartIndex = (start + processed) % total
  if (feasible.length === 0) {
    return { _tag: "Unschedulable", message: fitErrorMessage(total, rejections, pod.preemptionNever), nextStartIndex }
  }
  const scores = scoreNodes(pod, feasible)
  let best = 0
  for (let i = 1; i < feasible.length; i++) {
    if (scores[i]! > scores[best]! || (scores[i] === scores[best] && feasible[i]!.name < feasible[best]!.name)) best = i
  }
  return { _tag: "Scheduled", node: feasible[best]!, nextStartIndex }
}

describe("the scheduling cycle's fast paths agree with the plain cycle", () => {
  const taint = fc.record({
    key: fc.constantFrom("a", "b"),
    value: fc.constantFrom("", "x"),
    effect: fc.constantFrom("NoSchedule", "NoExecute", "PreferNoSchedule")
  })
  const nodeInput = fc.record({
    unschedulable: fc.boolean(),
    taints: fc.array(taint, { maxLength: 2 }),
    zone: fc.constantFrom("z1", "z2"),
    cpu: fc.constantFrom("1", "2", "4"),
    memory: fc.constantFrom("1Gi", "4Gi"),
    pods: fc.constantFrom("2", "5", "110")
  })
  const podSpec = fc.record({
    cpu: fc.option(fc.constantFrom("100m", "500m", "1500m"), { nil: undefined }),
    memory: fc.option(fc.constantFrom("100Mi", "1Gi"), { nil: undefined }),
    tolerate: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
    zone: fc.option(fc.constantFrom("z1", "z2"), { nil: undefined }),
    prefer: fc.option(fc.constantFrom("z1", "z2"), { nil: undefined }),
    hostPort: fc.option(fc.constantFrom(80, 81), { nil: undefined })
  })
  const toSpec = (p: typeof podSpec extends fc.Arbitrary<infer T> ? T : never): PodSpec => {
    const requests: Record<string, string> = {}
    if (p.cpu !== undefined) requests.cpu = p.cpu
    if (p.memory !== undefined) requests.memory = p.memory
    return {
      containers: [
        app(Object.keys(requests).length > 0 ? requests : undefined, {
          ...(p.hostPort !== undefined ? { ports: [{ containerPort: 8080, hostPort: p.hostPort }] } : {})
        })
      ],
      ...(p.tolerate !== undefined ? { tolerations: [{ key: p.tolerate, operator: "Exists" as const }] } : {}),
      ...(p.zone !== undefined ? { nodeSelector: { zone: p.zone } } : {}),
      ...(p.prefer !== undefined
        ? {
            affinity: {
              nodeAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 10,
                    preference: { matchExpressions: [{ key: "zone", operator: "In" as const, values: [p.prefer] }] }
                  }
                ]
              }
            }
          }
        : {})
    }
  }

  it("same node, start index and message over a run of pods bound one after another", () => {
    fc.assert(
      fc.property(
        fc.array(nodeInput, { minLength: 0, maxLength: 130, size: "max" }),
        fc.array(podSpec, { minLength: 1, maxLength: 40, size: "max" }),
        fc.nat(200),
        (inputs, pods, start0) => {
          const make = () =>
            inputs.map((n, i) =>
              makeNodeState({
                name: `n${String(i).padStart(3, "0")}`,
                labels: { zone: n.zone },
                unschedulable: n.unschedulable,
                taints: n.taints,
                allocatable: { cpu: n.cpu, memory: n.memory, pods: n.pods }
              })
            )
          const fast = make()
          const plain = make()
          let startFast = start0
          let startPlain = start0
          for (const p of pods) {
            const spec = toSpec(p)
            const pod = schedulingPod(spec)
            const a = scheduleOne(pod, fast, startFast)
            const b = scheduleOneReference(schedulingPod(spec), plain, startPlain)
            expect(a._tag === "Scheduled" ? a.node.name : a.message).toBe(
              b._tag === "Scheduled" ? b.node.name : b.message
            )
            expect(a.nextStartIndex).toBe(b.nextStartIndex)
            startFast = a.nextStartIndex
            startPlain = b.nextStartIndex
            if (a._tag === "Scheduled" && b._tag === "Scheduled") {
              accountPod(a.node, { requests: pod.requests, hostPorts: pod.hostPorts }, 1)
              accountPod(b.node, { requests: pod.requests, hostPorts: pod.hostPorts }, 1)
            }
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})
