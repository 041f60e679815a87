// Spec §16.H H7: node-pressure eviction. The node hits the memory hard-eviction threshold at t=500; the kubelet
// evicts the pod (grace 0, so the 2 s minimum window; the app exits 143 on SIGTERM): Failed / Evicted with the
// "low on resource" message, DisruptionTarget=T(TerminationByKubelet), kubectl `0/1 Error 0`, never restarted.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Node } from "../../src/api/Objects.js"
import { at, cluster, cond, condMessage, eventLines, eventsOf, getPod, kubectl, nodeOf, pod, sh } from "./support.js"

const condition = (node: Node, type: string) => node.status?.conditions?.find((c) => c.type === type)

describe("§16.H H7 node-pressure eviction", () => {
  it.effect("H7 memory pressure at 500: Failed/Evicted, TerminationByKubelet, app T(Error,143), 0/1 Error 0", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1"])
      yield* c.apply(pod("p", { containers: [sh("app", "trap 'exit 143' TERM; sleep 100000 & wait")] }))
      yield* at(c, 500)
      yield* c.faults.nodeMemoryPressure("n1", { available: "80Mi" })
      yield* c.settle
      const p = yield* getPod(c, "p")
      expect(p.status?.phase).toBe("Failed")
      expect(p.status?.reason).toBe("Evicted")
      expect(p.status?.message).toBe(
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. "
      )
      expect(cond(p, "DisruptionTarget")).toBe("T(TerminationByKubelet)")
      expect(condMessage(p, "DisruptionTarget")).toBe(p.status?.message)
      expect(p.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ reason: "Error", exitCode: 143 })
      expect(yield* kubectl(c, "p")).toBe("0/1 Error 0")
      expect(eventLines(yield* eventsOf(c, "Pod", "p"))).toContain(
        "Warning Evicted The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. "
      )
      const node = yield* nodeOf(c, "n1")
      expect(condition(node, "MemoryPressure")).toMatchObject({
        status: "True",
        reason: "KubeletHasInsufficientMemory"
      })
      expect((node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`)).toEqual([
        "node.kubernetes.io/memory-pressure:NoSchedule"
      ])
      const nodeEvents = eventLines(yield* eventsOf(c, "Node", "n1"))
      expect(nodeEvents).toContain("Normal NodeHasInsufficientMemory Node n1 status is now: NodeHasInsufficientMemory")
      expect(nodeEvents).toContain("Warning EvictionThresholdMet Attempting to reclaim memory")
      yield* at(c, 900)
      const later = yield* getPod(c, "p")
      expect(later.status?.containerStatuses?.[0]?.restartCount).toBe(0)
      expect(later.status?.phase).toBe("Failed")
    })
  )

  it.effect(
    "Failed is written when the kill starts; an app ignoring SIGTERM dies after the 2 s minimum window: T(Error,137)",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1"])
        yield* c.apply(pod("p", { containers: [sh("app", "sleep 100000")] }))
        yield* at(c, 500)
        yield* c.faults.nodeMemoryPressure("n1")
        yield* c.settle
        const killing = yield* getPod(c, "p")
        expect(killing.status?.phase).toBe("Failed")
        expect(killing.status?.containerStatuses?.[0]?.state.running).toBeDefined()
        yield* at(c, 502)
        const p = yield* getPod(c, "p")
        expect(p.status?.phase).toBe("Failed")
        expect(p.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ reason: "Error", exitCode: 137 })
      })
  )

  it.effect(
    "one pod per 10 s monitoring period, BestEffort and low priority first; the condition clears 5 minutes after recovery",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1"])
        const guaranteed = { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } }
        yield* c.apply(pod("guaranteed", { containers: [sh("app", "sleep 100000", { resources: guaranteed })] }))
        yield* c.apply(pod("besteffort-high", { containers: [sh("app", "sleep 100000")], priority: 100 }))
        yield* c.apply(pod("besteffort-low", { containers: [sh("app", "sleep 100000")] }))
        yield* at(c, 100)
        yield* c.faults.nodeMemoryPressure("n1")
        const phases = () =>
          Effect.gen(function* () {
            const out: Array<string> = []
            for (const name of ["besteffort-low", "besteffort-high", "guaranteed"]) {
              const p = yield* getPod(c, name)
              out.push(`${name}=${p.status?.reason ?? p.status?.phase}`)
            }
            return out
          })
        yield* at(c, 103)
        expect(yield* phases()).toEqual(["besteffort-low=Evicted", "besteffort-high=Running", "guaranteed=Running"])
        yield* at(c, 113)
        expect(yield* phases()).toEqual(["besteffort-low=Evicted", "besteffort-high=Evicted", "guaranteed=Running"])
        yield* c.faults.nodeRecover("n1")
        yield* at(c, 200)
        expect(yield* phases()).toEqual(["besteffort-low=Evicted", "besteffort-high=Evicted", "guaranteed=Running"])
        expect(condition(yield* nodeOf(c, "n1"), "MemoryPressure")?.status).toBe("True")
        yield* at(c, 420)
        const node = yield* nodeOf(c, "n1")
        expect(condition(node, "MemoryPressure")?.status).toBe("False")
        expect(node.spec?.taints ?? []).toEqual([])
      })
  )

  it.effect(
    "system OOM under memory pressure: the kernel kills the BestEffort container first (OOMKilled), then the kubelet evicts",
    () =>
      Effect.gen(function* () {
        const c = yield* cluster(["n1"])
        const guaranteed = { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } }
        yield* c.apply(
          pod("guaranteed", { containers: [sh("app", "sleep 100000", { resources: guaranteed })], priority: -1 })
        )
        yield* c.apply(pod("besteffort", { containers: [sh("app", "sleep 100000")], priority: 1000 }))
        yield* at(c, 100)
        yield* c.faults.nodeMemoryPressure("n1", { oomKill: true })
        yield* c.settle
        const victim = yield* getPod(c, "besteffort")
        expect(victim.status?.containerStatuses?.[0]?.lastState.terminated).toMatchObject({
          reason: "OOMKilled",
          exitCode: 137
        })
        expect(eventLines(yield* eventsOf(c, "Node", "n1"))).toContain(
          "Warning SystemOOM System OOM encountered, victim process: app"
        )
        // the eviction manager then evicts the pod using more than it requested first, whatever its priority
        expect((yield* getPod(c, "besteffort")).status?.reason).toBe("Evicted")
        expect((yield* getPod(c, "guaranteed")).status?.phase).toBe("Running")
      })
  )
})
