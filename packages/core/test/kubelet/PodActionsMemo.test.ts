// The sync's plan reuse (`podActionsOf`): the pod's last plan is returned while the pod spec and
// deletion fields, the snapshot and the probe results of the snapshot's containers are the same, and
// it always equals a fresh `computePodActions`; a change of any one input plans again.
import { describe, expect, it } from "@effect/vitest"
import type { Pod } from "../../src/api/Pod.js"
import { containerHash } from "../../src/domain/Backoff.js"
import { computePodActions } from "../../src/domain/PodActions.js"
import type { ContainerProbeResults } from "../../src/domain/Probe.js"
import type { ContainerInstance, RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"
import type { KubeletContext } from "../../src/kubelet/KubeletContext.js"
import { podActionsOf } from "../../src/kubelet/SyncPod.js"
import { c, makePod } from "../domain/fixtures.js"

const app = c("app", { livenessProbe: { httpGet: { port: 80 } } })
const crash = c("crash")
const pod: Pod = { ...makePod({ containers: [app, crash] }), metadata: { name: "p", namespace: "default", uid: "u1" } }

const instance = (name: string, state: ContainerInstance["state"], restartCount = 0): ContainerInstance => ({
  id: `containerd://${name}-${restartCount}`,
  name,
  sandboxId: "s1",
  state,
  hash: containerHash(name === "app" ? app : crash),
  restartCount,
  image: "busybox",
  imageID: "",
  createdAt: restartCount * 1000,
  ...(state === "exited" ? { exitCode: 1, finishedAt: restartCount * 1000 + 5 } : {})
})

const snapshot = (crashState: ContainerInstance["state"]): RuntimeSnapshot => ({
  sandbox: { id: "s1", state: "ready", attempt: 0, createdAt: 0 },
  containers: [instance("app", "running"), instance("crash", crashState)]
})

const context = (): KubeletContext =>
  ({ memory: new Map(), probeResults: new Map<string, ContainerProbeResults>() }) as unknown as KubeletContext

describe("podActionsOf", () => {
  it("the same inputs: the same plan object, equal to a fresh one", () => {
    const ctx = context()
    const exited = snapshot("exited")
    const first = podActionsOf(ctx, pod, exited)
    expect(first).toEqual(computePodActions(pod, exited, ctx.probeResults))
    expect(first.containersToStart).toEqual([1])
    expect(podActionsOf(ctx, pod, exited)).toBe(first)
  })

  it("a new probe result for a container of the snapshot plans again", () => {
    const ctx = context()
    const running = snapshot("running")
    const before = podActionsOf(ctx, pod, running)
    expect(before.containersToKill).toEqual([])
    ctx.probeResults.set("containerd://app-0", { liveness: "Failure" })
    const after = podActionsOf(ctx, pod, running)
    expect(after).toEqual(computePodActions(pod, running, ctx.probeResults))
    expect(after.containersToKill.map((k) => k.name)).toEqual(["app"])
    // replaced, not mutated: the same result object again is a reuse
    expect(podActionsOf(ctx, pod, running)).toBe(after)
    ctx.probeResults.set("containerd://app-0", { liveness: "Success" })
    expect(podActionsOf(ctx, pod, running).containersToKill).toEqual([])
  })

  it("a pod that differs only where the plan does not read (status, labels, version) reuses the plan", () => {
    const ctx = context()
    const exited = snapshot("exited")
    const first = podActionsOf(ctx, pod, exited)
    const written: Pod = {
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: "9", labels: { a: "b" } },
      status: { phase: "Running" }
    }
    expect(podActionsOf(ctx, written, exited)).toBe(first)
    expect(first).toEqual(computePodActions(written, exited, ctx.probeResults))
  })

  it("a deletion grace period plans again (the kill's grace period)", () => {
    const ctx = context()
    const running = snapshot("running")
    ctx.probeResults.set("containerd://app-0", { liveness: "Failure" })
    expect(podActionsOf(ctx, pod, running).containersToKill.map((k) => k.gracePeriodSeconds)).toEqual([30])
    const deleting: Pod = { ...pod, metadata: { ...pod.metadata, deletionGracePeriodSeconds: 5 } }
    const plan = podActionsOf(ctx, deleting, running)
    expect(plan).toEqual(computePodActions(deleting, running, ctx.probeResults))
    expect(plan.containersToKill.map((k) => k.gracePeriodSeconds)).toEqual([5])
  })

  it("a new snapshot or a new pod plans again", () => {
    const ctx = context()
    const exited = snapshot("exited")
    const first = podActionsOf(ctx, pod, exited)
    const running = snapshot("running")
    const second = podActionsOf(ctx, pod, running)
    expect(second).not.toBe(first)
    expect(second).toEqual(computePodActions(pod, running, ctx.probeResults))
    expect(second.containersToStart).toEqual([])
    const deleted: Pod = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: "2025-01-01T00:00:00Z" } }
    const third = podActionsOf(ctx, deleted, running)
    expect(third).not.toBe(second)
    expect(third).toEqual(computePodActions(deleted, running, ctx.probeResults))
  })
})
