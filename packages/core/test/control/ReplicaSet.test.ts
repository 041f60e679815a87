// ReplicaSets (apps/v1): create, replace, scale (subresource), adopt, status, delete with propagation; and the
// controller's pure decisions (scale-down ranking, status).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ReplicaSet } from "../../src/api/Objects.js"
import type { Pod } from "../../src/api/Pod.js"
import type { Cluster } from "../../src/Cluster.js"
import { podFromTemplate, podsToDelete, replicaSetStatus } from "../../src/control/ReplicaSetDecision.js"
import { getScale, updateScale } from "../../src/control/Scale.js"
import { at, cluster, eventLines, eventsOf, getPod, pod, sh } from "./support.js"

const rs = (name: string, replicas: number, extra: Partial<ReplicaSet["spec"]> = {}): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [sh("app", "sleep 3600")] } },
    ...extra
  }
})

const podsOf = (c: Cluster, app: string) =>
  Effect.map(c.list<Pod>("pods", { labelSelector: `app=${app}` }), (pods) =>
    [...pods].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))
  )

const activePodsOf = (c: Cluster, app: string) =>
  Effect.map(podsOf(c, app), (pods) =>
    pods.filter((p) => p.metadata.deletionTimestamp === undefined && p.status?.phase !== "Failed")
  )

describe("ReplicaSet controller", () => {
  it.effect("creates replicas with generateName and a controller ownerReference; status counts them", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2", "n3"])
      const [created] = yield* c.apply(rs("web", 3))
      const pods = yield* podsOf(c, "web")
      expect(pods).toHaveLength(3)
      for (const p of pods) {
        expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
        expect(p.metadata.generateName).toBe("web-")
        expect(p.metadata.ownerReferences).toEqual([
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "web",
            uid: created!.metadata.uid,
            controller: true,
            blockOwnerDeletion: true
          }
        ])
        expect(p.status?.phase).toBe("Running")
      }
      expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3)
      const web = yield* c.get<ReplicaSet>("replicasets", "web")
      expect(web.status).toEqual({
        replicas: 3,
        fullyLabeledReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        observedGeneration: 1
      })
      const events = eventLines(yield* eventsOf(c, "ReplicaSet", "web"))
      expect(events.map((e) => e.replace(/web-\w{5}/, "web-x"))).toEqual([
        "Normal SuccessfulCreate Created pod: web-x",
        "Normal SuccessfulCreate Created pod: web-x",
        "Normal SuccessfulCreate Created pod: web-x"
      ])
    })
  )

  it.effect("replaces deleted and failed pods", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(rs("web", 2))
      const [first, second] = yield* podsOf(c, "web")
      yield* c.delete("pods", first!.metadata.name!, { gracePeriodSeconds: 0, force: true })
      const afterDelete = yield* activePodsOf(c, "web")
      expect(afterDelete).toHaveLength(2)
      expect(afterDelete.map((p) => p.metadata.name)).not.toContain(first!.metadata.name)
      // the pod fails (active deadline): it stays Failed and a replacement starts
      const doomed = yield* getPod(c, second!.metadata.name!)
      yield* c.store.update("pods", { ...doomed, spec: { ...doomed.spec, activeDeadlineSeconds: 5 } })
      yield* at(c, 10)
      const failed = yield* getPod(c, second!.metadata.name!)
      expect(failed.status).toMatchObject({ phase: "Failed", reason: "DeadlineExceeded" })
      const active = yield* activePodsOf(c, "web")
      expect(active).toHaveLength(2)
      expect(active.every((p) => p.status?.phase === "Running")).toBe(true)
      expect((yield* c.get<ReplicaSet>("replicasets", "web")).status?.replicas).toBe(2)
    })
  )

  it.effect("the scale subresource: up, then down deleting the most recently ready pods first", () =>
    Effect.gen(function* () {
      // one node: no pod is "doubled up" more than another, so readiness age decides
      const c = yield* cluster()
      yield* c.apply(rs("web", 2))
      const scale = yield* getScale(c.store, "default", "web")
      expect(scale).toMatchObject({
        apiVersion: "autoscaling/v1",
        kind: "Scale",
        metadata: { name: "web", namespace: "default" },
        spec: { replicas: 2 },
        status: { replicas: 2, selector: "app=web" }
      })
      const original = (yield* podsOf(c, "web")).map((p) => p.metadata.name)
      yield* at(c, 100)
      yield* updateScale(c.store, "default", "web", { spec: { replicas: 5 } })
      yield* c.settle
      expect(yield* activePodsOf(c, "web")).toHaveLength(5)
      yield* at(c, 200)
      yield* updateScale(c.store, "default", "web", { spec: { replicas: 2 } })
      yield* c.settle
      yield* at(c, 240)
      const left = yield* activePodsOf(c, "web")
      expect(left.map((p) => p.metadata.name).sort()).toEqual([...original].sort())
      expect((yield* getScale(c.store, "default", "web")).status.replicas).toBe(2)
      const stale = yield* Effect.flip(
        updateScale(c.store, "default", "web", { metadata: { resourceVersion: "1" }, spec: { replicas: 1 } })
      )
      expect(stale._tag).toBe("Conflict")
      const negative = yield* Effect.flip(updateScale(c.store, "default", "web", { spec: { replicas: -1 } }))
      expect(negative._tag).toBe("Invalid")
      const deletions = eventLines(yield* eventsOf(c, "ReplicaSet", "web")).filter((l) =>
        l.includes("SuccessfulDelete")
      )
      expect(deletions).toHaveLength(3)
    })
  )

  it.effect("adopts an orphan pod its selector picks", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("stray", { containers: [sh("app", "sleep 3600")] }, { app: "web" }))
      const [web] = yield* c.apply(rs("web", 2))
      const pods = yield* podsOf(c, "web")
      expect(pods).toHaveLength(2)
      const stray = pods.find((p) => p.metadata.name === "stray")
      expect(stray?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ReplicaSet", uid: web!.metadata.uid })
    })
  )

  it.effect("releases a pod whose labels stop matching and replaces it; another ReplicaSet's pods are left alone", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(rs("web", 2))
      yield* c.apply(rs("api", 1))
      const [first] = yield* podsOf(c, "web")
      yield* c.apply({ ...first!, metadata: { ...first!.metadata, labels: { app: "other" } } } as Pod)
      const released = yield* getPod(c, first!.metadata.name!)
      expect(released.metadata.ownerReferences ?? []).toEqual([])
      const web = yield* activePodsOf(c, "web")
      expect(web).toHaveLength(2)
      expect(web.map((p) => p.metadata.name)).not.toContain(first!.metadata.name)
      expect(yield* activePodsOf(c, "api")).toHaveLength(1)
    })
  )

  it.effect("minReadySeconds: pods become available 10 s after they are ready", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(rs("web", 2, { minReadySeconds: 10 }))
      const status = () => Effect.map(c.get<ReplicaSet>("replicasets", "web"), (r) => r.status)
      expect(yield* status()).toMatchObject({ replicas: 2, readyReplicas: 2 })
      expect((yield* status())?.availableReplicas).toBeUndefined()
      yield* at(c, 10)
      expect((yield* status())?.availableReplicas).toBeUndefined()
      yield* at(c, 11)
      expect((yield* status())?.availableReplicas).toBe(2)
    })
  )

  it.effect.each(["Background", "Foreground"] as const)("deleting a ReplicaSet (%s) deletes its pods", (policy) =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        rs("web", 2, {
          template: {
            metadata: { labels: { app: "web" } },
            spec: { terminationGracePeriodSeconds: 5, containers: [sh("app", "sleep 3600")] }
          }
        })
      )
      yield* c.delete("replicasets", "web", { propagationPolicy: policy })
      const terminating = yield* podsOf(c, "web")
      expect(terminating).toHaveLength(2)
      expect(terminating.every((p) => p.metadata.deletionTimestamp !== undefined)).toBe(true)
      expect(yield* Effect.flip(c.get("replicasets", "web"))).toMatchObject({ _tag: "NotFound" })
      yield* at(c, 6)
      expect(yield* podsOf(c, "web")).toEqual([])
    })
  )

  it.effect("deleting a ReplicaSet with Orphan leaves its pods, without the ownerReference", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(rs("web", 2))
      yield* c.delete("replicasets", "web", { propagationPolicy: "Orphan" })
      yield* at(c, 60)
      const pods = yield* podsOf(c, "web")
      expect(pods).toHaveLength(2)
      expect(pods.every((p) => p.metadata.ownerReferences === undefined && p.status?.phase === "Running")).toBe(true)
    })
  )
})

const at0 = Date.parse("2025-01-01T00:00:00Z")
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z")

const fake = (
  name: string,
  opts: {
    node?: string
    phase?: Pod["status"] extends infer S ? (S extends { phase?: infer P } ? P : never) : never
    ready?: number
    created?: number
    restarts?: number
    cost?: string
  }
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    uid: `uid-${name}`,
    creationTimestamp: iso(opts.created ?? at0),
    ...(opts.cost !== undefined ? { annotations: { "controller.kubernetes.io/pod-deletion-cost": opts.cost } } : {})
  },
  spec: {
    ...(opts.node !== undefined ? { nodeName: opts.node } : {}),
    containers: [{ name: "app", image: "busybox" }]
  },
  status: {
    phase: opts.phase ?? "Running",
    conditions:
      opts.ready !== undefined ? [{ type: "Ready", status: "True", lastTransitionTime: iso(opts.ready) }] : [],
    containerStatuses: [
      {
        name: "app",
        ready: opts.ready !== undefined,
        restartCount: opts.restarts ?? 0,
        image: "busybox",
        imageID: "",
        state: {},
        lastState: {}
      }
    ]
  }
})

describe("scale-down ranking (ActivePodsWithRanks)", () => {
  const now = at0 + 3_600_000
  it.each([
    ["unscheduled before scheduled", [fake("a", { node: "n1", ready: at0 }), fake("b", {})], "b"],
    ["Pending before Running", [fake("a", { node: "n1" }), fake("b", { node: "n1", phase: "Pending" })], "b"],
    ["not ready before ready", [fake("a", { node: "n1", ready: at0 }), fake("b", { node: "n2" })], "b"],
    ["lower deletion cost first", [fake("a", { node: "n1", cost: "10" }), fake("b", { node: "n2", cost: "-5" })], "b"],
    ["doubled-up node first", [fake("a", { node: "n1" }), fake("b", { node: "n2" }), fake("c", { node: "n2" })], "b"],
    [
      "ready more recently first (log2 buckets)",
      [fake("a", { node: "n1", ready: at0 }), fake("b", { node: "n2", ready: now - 10_000 })],
      "b"
    ],
    ["more restarts first", [fake("a", { node: "n1", restarts: 1 }), fake("b", { node: "n2", restarts: 4 })], "b"],
    ["newer first", [fake("a", { node: "n1", created: at0 }), fake("b", { node: "n2", created: now - 60_000 })], "b"]
  ] as const)("%s", (_name, pods, first) => {
    expect(podsToDelete(pods, pods, 1, now).map((p) => p.metadata.name)).toEqual([first])
  })
})

describe("ReplicaSet decisions", () => {
  it("a pod from the template", () => {
    const set: ReplicaSet = { ...rs("web", 1), metadata: { name: "web", namespace: "prod", uid: "u1" } }
    expect(podFromTemplate(set).metadata).toEqual({
      generateName: "web-",
      namespace: "prod",
      labels: { app: "web" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web",
          uid: "u1",
          controller: true,
          blockOwnerDeletion: true
        }
      ]
    })
  })

  it("status omits zero counts and says when to look again for minReadySeconds", () => {
    const set: ReplicaSet = { ...rs("web", 2, { minReadySeconds: 30 }), metadata: { name: "web", generation: 4 } }
    const notReady = { ...fake("a", { node: "n1" }), metadata: { name: "a", labels: { app: "web" } } }
    const ready = { ...fake("b", { node: "n1", ready: at0 }), metadata: { name: "b", labels: { app: "web" } } }
    expect(replicaSetStatus(set, [notReady], at0)).toEqual({
      status: { replicas: 1, fullyLabeledReplicas: 1, observedGeneration: 4 },
      recheckAt: undefined
    })
    expect(replicaSetStatus(set, [notReady, ready], at0 + 5_000)).toEqual({
      status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, observedGeneration: 4 },
      recheckAt: at0 + 30_001
    })
    expect(replicaSetStatus(set, [ready], at0 + 31_000).status.availableReplicas).toBe(1)
  })
})
