// The disruption controller's status computation and the Eviction API's budget decision, as tables.
import { describe, expect, it } from "@effect/vitest"
import type { ReplicaSet } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import type { Pdb } from "../../src/control/Disruption.js"
import { computePdbStatus, expectedScale, scaledValue } from "../../src/control/Disruption.js"
import { budgetDecision, canIgnorePdb, decrementedPdb } from "../../src/control/Eviction.js"
import { toRfc3339 } from "../../src/domain/Time.js"

const t0 = Date.parse("2025-01-01T00:00:00Z")

const rs = (name: string, replicas: number): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, namespace: "default", uid: `uid-${name}` },
  spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [] } } }
})
const sets = new Map([
  ["web", rs("web", 4)],
  ["api", rs("api", 2)]
])
const lookup = (_ns: string, name: string, uid: string) => {
  const found = sets.get(name)
  return found?.metadata.uid === uid ? found : undefined
}

const pod = (
  name: string,
  options: { ready?: boolean; owner?: string; deleting?: boolean; phase?: string } = {}
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: "default",
    labels: { app: "web" },
    ...(options.owner !== undefined
      ? {
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              kind: "ReplicaSet",
              name: options.owner,
              uid: `uid-${options.owner}`,
              controller: true
            }
          ]
        }
      : {}),
    ...(options.deleting === true ? { deletionTimestamp: toRfc3339(t0) } : {})
  },
  spec: { containers: [{ name: "app", image: "busybox" }] },
  status: {
    phase: (options.phase ?? "Running") as "Running",
    conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }]
  }
})

const pdb = (spec: Omit<Pdb["spec"], "selector">, status?: Partial<NonNullable<Pdb["status"]>>): Pdb => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: "web", namespace: "default", generation: 1 },
  spec: { selector: { matchLabels: { app: "web" } }, ...spec },
  ...(status !== undefined
    ? {
        status: {
          currentHealthy: 0,
          desiredHealthy: 0,
          disruptionsAllowed: 0,
          expectedPods: 0,
          observedGeneration: 1,
          ...status
        }
      }
    : {})
})

const show = (result: ReturnType<typeof computePdbStatus>): string =>
  "error" in result
    ? `error: ${result.error}`
    : `healthy ${result.status.currentHealthy}/${result.status.desiredHealthy} expected ${result.status.expectedPods} allowed ${result.status.disruptionsAllowed}`

describe("PDB status (disruption controller)", () => {
  const four = [
    pod("a", { owner: "web" }),
    pod("b", { owner: "web" }),
    pod("c", { owner: "web" }),
    pod("d", { owner: "web", ready: false })
  ]
  const table: ReadonlyArray<readonly [string, Pdb, ReadonlyArray<Pod>, string]> = [
    ["minAvailable 2 of 3 ready", pdb({ minAvailable: 2 }), four, "healthy 3/2 expected 4 allowed 1"],
    ["minAvailable 3 leaves none", pdb({ minAvailable: 3 }), four, "healthy 3/3 expected 4 allowed 0"],
    [
      "minAvailable 50% of the RS scale (4), rounded up",
      pdb({ minAvailable: "50%" }),
      four,
      "healthy 3/2 expected 4 allowed 1"
    ],
    ["minAvailable 30% rounds up to 2", pdb({ minAvailable: "30%" }), four, "healthy 3/2 expected 4 allowed 1"],
    ["maxUnavailable 1 of scale 4", pdb({ maxUnavailable: 1 }), four, "healthy 3/3 expected 4 allowed 0"],
    ["maxUnavailable 50%", pdb({ maxUnavailable: "50%" }), four, "healthy 3/2 expected 4 allowed 1"],
    [
      "deleting pods do not count",
      pdb({ minAvailable: 1 }),
      [pod("a", { deleting: true }), pod("b")],
      "healthy 1/1 expected 2 allowed 0"
    ],
    ["no pods", pdb({ minAvailable: 1 }), [], "healthy 0/1 expected 0 allowed 0"],
    [
      "maxUnavailable over two controllers",
      pdb({ maxUnavailable: 1 }),
      [pod("a", { owner: "web" }), pod("b", { owner: "api" })],
      "healthy 2/5 expected 6 allowed 0"
    ],
    [
      "unmanaged pods count nothing for maxUnavailable",
      pdb({ maxUnavailable: 0 }),
      [pod("a"), pod("b")],
      "healthy 2/0 expected 0 allowed 0"
    ],
    [
      "a missing controller is an error",
      pdb({ maxUnavailable: 1 }),
      [pod("a", { owner: "gone" })],
      'error: Failed to calculate the number of expected pods: found no controllers for pod "a"'
    ]
  ]
  for (const [name, budget, pods, expected] of table) {
    it(name, () => expect(show(computePdbStatus(budget, pods, lookup, t0))).toBe(expected))
  }

  it("pods just evicted count as disrupted for 2 minutes, then are dropped from disruptedPods", () => {
    const budget = pdb({ minAvailable: 1 }, { disruptedPods: { a: toRfc3339(t0) } } as Partial<
      NonNullable<Pdb["status"]>
    >)
    const pods = [pod("a"), pod("b")]
    const soon = computePdbStatus(budget, pods, lookup, t0 + 60_000)
    expect(show(soon)).toBe("healthy 1/1 expected 2 allowed 0")
    expect("error" in soon ? undefined : soon.recheckAt).toBe(t0 + 120_000)
    const later = computePdbStatus(budget, pods, lookup, t0 + 121_000)
    expect(show(later)).toBe("healthy 2/1 expected 2 allowed 1")
    expect("error" in later ? "" : later.status.disruptedPods).toBeUndefined()
  })

  it("events: NoPods, UnmanagedPods; the DisruptionAllowed condition", () => {
    const none = computePdbStatus(pdb({ minAvailable: 1 }), [], lookup, t0)
    expect("error" in none ? [] : none.events.map((e) => e[1])).toEqual(["NoPods"])
    const unmanaged = computePdbStatus(pdb({ maxUnavailable: 1 }), [pod("a")], lookup, t0)
    expect("error" in unmanaged ? [] : unmanaged.events.map((e) => e[1])).toEqual(["UnmanagedPods"])
    const ok = computePdbStatus(pdb({ minAvailable: 1 }), [pod("a"), pod("b")], lookup, t0)
    expect("error" in ok ? undefined : ok.status.conditions).toEqual([
      {
        type: "DisruptionAllowed",
        status: "True",
        reason: "SufficientPods",
        message: "",
        observedGeneration: 1,
        lastTransitionTime: toRfc3339(t0)
      }
    ])
  })

  it("int-or-percent scaling and expected scale", () => {
    expect([scaledValue(3, 10), scaledValue("25%", 10), scaledValue("7", 10), scaledValue("x", 10)]).toEqual([
      3,
      3,
      7,
      undefined
    ])
    expect(expectedScale([pod("a", { owner: "web" }), pod("b", { owner: "web" }), pod("c")], lookup)).toEqual({
      expected: 4,
      unmanaged: 1
    })
  })
})

describe("the Eviction API's budget decision", () => {
  const running = pod("a", { owner: "web" })
  const table: ReadonlyArray<readonly [string, Pod, ReadonlyArray<Pdb>, string]> = [
    ["no budget", running, [], "Delete"],
    [
      "allowed 1",
      running,
      [pdb({ minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 })],
      "Decrement"
    ],
    [
      "allowed 0: 429",
      running,
      [pdb({ minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 })],
      "Refuse 429"
    ],
    [
      "not yet observed: 429",
      running,
      [pdb({ minAvailable: 1 }, { disruptionsAllowed: 1, observedGeneration: 0 })],
      "Refuse 429"
    ],
    ["no status yet: 429", running, [pdb({ minAvailable: 1 })], "Refuse 429"],
    [
      "two budgets: 500",
      running,
      [
        pdb({ minAvailable: 1 }),
        { ...pdb({ minAvailable: 1 }), metadata: { name: "other", namespace: "default", generation: 1 } }
      ],
      "Refuse 500"
    ],
    [
      "an empty selector matches nothing",
      running,
      [{ ...pdb({ minAvailable: 5 }), spec: { selector: {}, minAvailable: 5 } }],
      "Delete"
    ],
    [
      "unready pod, budget met",
      pod("u", { ready: false }),
      [pdb({ minAvailable: 2 }, { currentHealthy: 2, desiredHealthy: 2 })],
      "DeleteUnready"
    ],
    [
      "unready pod, budget not met",
      pod("u", { ready: false }),
      [pdb({ minAvailable: 3 }, { currentHealthy: 2, desiredHealthy: 3 })],
      "Refuse 429"
    ],
    [
      "unready pod, AlwaysAllow",
      pod("u", { ready: false }),
      [
        {
          ...pdb({ minAvailable: 3 }, { currentHealthy: 2, desiredHealthy: 3 }),
          spec: {
            selector: { matchLabels: { app: "web" } },
            minAvailable: 3,
            unhealthyPodEvictionPolicy: "AlwaysAllow"
          }
        }
      ],
      "DeleteUnready"
    ]
  ]
  for (const [name, p, pdbs, expected] of table) {
    it(name, () => {
      const d = budgetDecision(p, pdbs)
      expect(d._tag === "Refuse" ? `Refuse ${d.error.code}` : d._tag).toBe(expected)
    })
  }

  it("pods already disrupted ignore budgets; a decrement records the pod", () => {
    expect(
      [pod("p", { phase: "Pending" }), pod("s", { phase: "Succeeded" }), pod("d", { deleting: true }), running].map(
        canIgnorePdb
      )
    ).toEqual([true, true, true, false])
    const after = decrementedPdb(
      pdb({ minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 }),
      "a",
      t0
    )
    expect(after.status?.disruptionsAllowed).toBe(0)
    expect(after.status?.disruptedPods).toEqual({ a: toRfc3339(t0) })
    expect(after.status?.conditions?.[0]).toMatchObject({
      type: "DisruptionAllowed",
      status: "False",
      reason: "InsufficientPods"
    })
  })
})
