// End-to-end check of the domain decisions against the spec's §16 scenario catalogue: a minimal RTM driver (§15)
// that composes computePodActions, Backoff.decide, generatePodStatus and printPod the way the kubelet engine does.
import { describe, expect, it } from "@effect/vitest"
import type { Container, Pod, PodCondition, PodStatus } from "../../src/api/Pod.js"
import {
  type BackoffState,
  containerBackoffKey,
  containerHash,
  decide,
  emptyBackoff
} from "../../src/domain/Backoff.js"
import type { ReasonCacheEntry } from "../../src/domain/ContainerStatuses.js"
import { printPod } from "../../src/domain/DisplayStatus.js"
import { computePodActions } from "../../src/domain/PodActions.js"
import { generatePodStatus } from "../../src/domain/PodStatus.js"
import { noProbeResults } from "../../src/domain/Probe.js"
import {
  type ContainerInstance,
  latestExitedInstance,
  latestInstance,
  type SandboxInstance
} from "../../src/domain/RuntimeSnapshot.js"
import { at, c, iso, makePod, sidecar } from "./fixtures.js"

/** How instance `n` of a container behaves: exits `after` seconds after it starts with `exit` (else runs forever). */
type Behaviour = (n: number) => { readonly after: number; readonly exit: number; readonly reason?: string } | undefined

class Driver {
  sandbox: SandboxInstance | undefined
  containers: Array<ContainerInstance> = []
  backoff: BackoffState = emptyBackoff
  reasons = new Map<string, ReasonCacheEntry>()
  status: PodStatus | undefined
  readonly history: Array<[number, Pod]> = []
  private readonly exits = new Map<string, number>()
  private readonly syncs = new Set<number>()

  constructor(
    public pod: Pod,
    readonly behaviours: Record<string, Behaviour>,
    readonly deleteAt?: number
  ) {
    this.syncs.add(0)
    if (deleteAt !== undefined) this.syncs.add(deleteAt)
  }

  private stop(instance: ContainerInstance, t: number, exit: number, reason: string) {
    this.containers = this.containers.map((x) =>
      x === instance ? { ...x, state: "exited", finishedAt: at(t), exitCode: exit, reason } : x
    )
    this.exits.delete(instance.id)
  }

  private start(container: Container, t: number): boolean {
    const key = containerBackoffKey(this.pod, container)
    const exited = latestExitedInstance({ containers: this.containers }, container.name)
    const { decision, state } = decide(this.backoff, key, exited?.finishedAt, at(t))
    this.backoff = state
    if (decision._tag === "BackOff") {
      this.reasons.set(container.name, { reason: "CrashLoopBackOff", message: decision.message })
      this.syncs.add(t + Math.min(10, decision.remainingMs / 1000))
      return false
    }
    const previous = latestInstance({ containers: this.containers }, container.name)
    const rc = previous === undefined ? 0 : previous.restartCount + 1
    const instance: ContainerInstance = {
      id: `containerd://${container.name}-${rc}`,
      name: container.name,
      sandboxId: this.sandbox!.id,
      state: "running",
      hash: containerHash(container),
      restartCount: rc,
      image: container.image ?? "",
      imageID: "sha256:x",
      createdAt: at(t) + rc,
      startedAt: at(t)
    }
    this.containers.push(instance)
    this.reasons.delete(container.name)
    const behaviour = this.behaviours[container.name]?.(rc)
    if (behaviour !== undefined) {
      this.exits.set(instance.id, t + behaviour.after)
      this.syncs.add(t + behaviour.after)
    }
    this.syncs.add(t) // PLEG: a started container triggers another sync at the same instant
    return true
  }

  private sync(t: number) {
    if (t === this.deleteAt)
      this.pod = { ...this.pod, metadata: { ...this.pod.metadata, deletionTimestamp: iso(t + 30) } }
    for (const x of this.containers) {
      const exitAt = this.exits.get(x.id)
      if (x.state === "running" && exitAt === t) {
        const b = this.behaviours[x.name]?.(x.restartCount)
        if (b !== undefined) this.stop(x, t, b.exit, b.reason ?? (b.exit === 0 ? "Completed" : "Error"))
      }
    }
    const snapshot = () => ({ ...(this.sandbox ? { sandbox: this.sandbox } : {}), containers: this.containers })
    const actions = computePodActions(this.pod, snapshot(), noProbeResults)
    if (actions.killPod) {
      for (const x of this.containers) if (x.state === "running") this.stop(x, t, 143, "Error")
      if (this.sandbox) this.sandbox = { ...this.sandbox, state: "notready" }
    }
    for (const k of actions.containersToKill) {
      const x = this.containers.find((i) => i.id === k.containerId)
      if (x?.state === "running") this.stop(x, t, 143, "Error")
    }
    if (actions.createSandbox) {
      this.sandbox = {
        id: `s${actions.attempt}`,
        state: "ready",
        attempt: actions.attempt,
        ip: "10.244.0.10",
        createdAt: at(t)
      }
    }
    const inits = this.pod.spec.initContainers ?? []
    for (const i of actions.initContainersToStart) {
      const container = inits[i]!
      if (!this.start(container, t) && container.restartPolicy !== "Always") break
    }
    for (const i of actions.containersToStart) this.start(this.pod.spec.containers[i]!, t)
    const deleting = this.pod.metadata.deletionTimestamp !== undefined
    this.status = generatePodStatus({
      pod: this.pod,
      snapshot: snapshot(),
      ...(this.status ? { previous: this.status } : {}),
      reasons: this.reasons,
      probes: noProbeResults,
      podIsTerminal: deleting && !this.containers.some((x) => x.state === "running"),
      now: at(t)
    })
    this.pod = { ...this.pod, status: this.status }
    this.history.push([t, this.pod])
  }

  run(until: number): this {
    for (let guard = 0; guard < 10_000; guard++) {
      const t = Math.min(...this.syncs)
      if (!Number.isFinite(t) || t > until) return this
      this.syncs.delete(t)
      this.sync(t)
    }
    throw new Error("runaway simulation")
  }

  /** The pod as observed at `t` (latest sync at or before t). */
  at(t: number): Pod {
    return [...this.history].reverse().find(([time]) => time <= t)![1]
  }

  kubectl(t: number): string {
    const row = printPod(this.at(t), at(t))
    return `${row.ready} ${row.status} ${row.restarts}`
  }

  conditions(t: number): Record<string, string> {
    return Object.fromEntries(
      (this.at(t).status?.conditions ?? []).map((x: PodCondition) => [
        x.type,
        x.reason ? `${x.status}(${x.reason})` : x.status
      ])
    )
  }
}

const every =
  (after: number, exit: number, reason?: string): Behaviour =>
  () => ({ after, exit, ...(reason ? { reason } : {}) })
const once =
  (after: number, exit: number): Behaviour =>
  (n) =>
    n === 0 ? { after, exit } : undefined

const healthy = {
  PodReadyToStartContainers: "True",
  Initialized: "True",
  Ready: "True",
  ContainersReady: "True",
  PodScheduled: "True"
}

describe("§16 scenarios through the domain decisions", () => {
  it("A1: Running from t=0", () => {
    const d = new Driver(makePod({}), {}).run(100)
    expect(d.kubectl(0)).toBe("1/1 Running 0")
    expect(d.at(0).status?.phase).toBe("Running")
    expect(d.conditions(50)).toEqual(healthy)
    expect(d.at(0).status?.podIP).toBe("10.244.0.10")
  })

  it("A2: Never, exit 0 at 10 ⇒ Succeeded, Completed, PodCompleted conditions", () => {
    const d = new Driver(makePod({ restartPolicy: "Never" }), { app: once(10, 0) }).run(100)
    expect(d.kubectl(5)).toBe("1/1 Running 0")
    expect(d.kubectl(10)).toBe("0/1 Completed 0")
    expect(d.at(10).status?.phase).toBe("Succeeded")
    expect(d.at(10).status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, ready: false, started: false })
    expect(d.conditions(10)).toEqual({
      PodReadyToStartContainers: "False",
      Initialized: "True(PodCompleted)",
      Ready: "False(PodCompleted)",
      ContainersReady: "False(PodCompleted)",
      PodScheduled: "True"
    })
  })

  it("A4: Never, exit 1 ⇒ Failed, Error, PodFailed", () => {
    const d = new Driver(makePod({ restartPolicy: "Never" }), { app: once(10, 1) }).run(100)
    expect(d.kubectl(10)).toBe("0/1 Error 0")
    expect(d.at(10).status?.phase).toBe("Failed")
    expect(d.conditions(10)).toMatchObject({
      Initialized: "True",
      ContainersReady: "False(PodFailed)",
      Ready: "False(PodFailed)"
    })
  })

  it("A5: the crash loop timeline (restarts, CrashLoopBackOff messages, RESTARTS ages)", () => {
    const d = new Driver(makePod({}), { app: every(5, 1) }).run(1000)
    expect(d.kubectl(5)).toBe("1/1 Running 1 (0s ago)")
    expect(d.kubectl(15)).toBe("0/1 CrashLoopBackOff 1 (5s ago)")
    const app = d.at(15).status!.containerStatuses![0]!
    expect(app).toEqual({
      name: "app",
      image: "busybox:1.36",
      imageID: "sha256:x",
      containerID: "containerd://app-1",
      ready: false,
      started: false,
      restartCount: 1,
      state: {
        waiting: {
          reason: "CrashLoopBackOff",
          message: "back-off 10s restarting failed container=app pod=p_default(U)"
        }
      },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: "Error",
          startedAt: iso(5),
          finishedAt: iso(10),
          containerID: "containerd://app-1"
        }
      }
    })
    expect(d.at(15).status?.phase).toBe("Running")
    expect(d.conditions(15)).toMatchObject({
      ContainersReady: "False(ContainersNotReady)",
      Ready: "False(ContainersNotReady)"
    })
    const restartAt = [20, 45, 90, 175, 340, 645, 950]
    restartAt.forEach((t, i) => {
      expect(d.at(t).status?.containerStatuses?.[0]).toMatchObject({ restartCount: i + 2, state: { running: {} } })
      expect(d.at(t - 1).status?.containerStatuses?.[0]?.state.waiting?.reason).toBe("CrashLoopBackOff")
    })
    const windows: Array<[number, string]> = [
      [30, "20s"],
      [60, "40s"],
      [100, "1m20s"],
      [200, "2m40s"],
      [400, "5m0s"],
      [700, "5m0s"]
    ]
    for (const [t, backoff] of windows) {
      expect(d.at(t).status?.containerStatuses?.[0]?.state.waiting?.message).toBe(
        `back-off ${backoff} restarting failed container=app pod=p_default(U)`
      )
    }
    expect(d.kubectl(400)).toBe("0/1 CrashLoopBackOff 6 (55s ago)")
  })

  it("A7: Always with exit 0 every 10 s restarts at 10, 30, 60, 110, 200 and never succeeds", () => {
    const d = new Driver(makePod({}), { app: every(10, 0) }).run(250)
    for (const [t, rc] of [
      [10, 1],
      [30, 2],
      [60, 3],
      [110, 4],
      [200, 5]
    ] as const) {
      expect(d.at(t).status?.containerStatuses?.[0]?.restartCount).toBe(rc)
    }
    expect(d.kubectl(25)).toBe("0/1 CrashLoopBackOff 1 (5s ago)")
    expect(d.history.every(([, p]) => p.status?.phase === "Running")).toBe(true)
  })

  it("A8: a 700 s run resets the backoff", () => {
    const d = new Driver(makePod({}), { app: (n) => ({ after: n === 3 ? 700 : 5, exit: 1 }) }).run(800)
    expect(d.kubectl(745)).toBe("1/1 Running 4 (0s ago)")
    expect(d.at(755).status?.containerStatuses?.[0]?.state.waiting?.message).toContain("back-off 10s")
    expect(d.at(760).status?.containerStatuses?.[0]?.restartCount).toBe(5)
  })

  it("A10 / A11: OOMKilled restarts under Always, fails under Never", () => {
    const always = new Driver(makePod({}), { app: once(30, 137) }).run(100)
    expect(always.kubectl(30)).toBe("1/1 Running 1 (0s ago)")
    const never = new Driver(makePod({ restartPolicy: "Never" }), {
      app: (n) => (n === 0 ? { after: 30, exit: 137, reason: "OOMKilled" } : undefined)
    }).run(100)
    expect(never.kubectl(30)).toBe("0/1 OOMKilled 0")
    expect(never.at(30).status?.phase).toBe("Failed")
  })

  it("B1 / B2: Never with two containers", () => {
    const d = new Driver(makePod({ restartPolicy: "Never", containers: [c("a"), c("b")] }), {
      a: once(10, 1),
      b: once(20, 0)
    }).run(100)
    expect(d.kubectl(10)).toBe("1/2 Error 0")
    expect(d.at(10).status?.phase).toBe("Running")
    expect(d.at(10).status?.conditions?.find((x) => x.type === "Ready")?.message).toBe(
      "containers with unready status: [a]"
    )
    expect(d.kubectl(20)).toBe("0/2 Error 0")
    expect(d.at(20).status?.phase).toBe("Failed")
  })

  it("B3 / B5: OnFailure, both exit 0", () => {
    const d = new Driver(makePod({ restartPolicy: "OnFailure", containers: [c("a"), c("b")] }), {
      a: once(10, 0),
      b: once(20, 0)
    }).run(100)
    expect(d.kubectl(15)).toBe("1/2 NotReady 0")
    expect(d.kubectl(20)).toBe("0/2 Completed 0")
    expect(d.at(20).status?.phase).toBe("Succeeded")
  })

  it("C1: init containers in order", () => {
    const d = new Driver(makePod({ initContainers: [c("init-a"), c("init-b")] }), {
      "init-a": once(5, 0),
      "init-b": once(5, 0)
    }).run(50)
    expect(d.kubectl(0)).toBe("0/1 Init:0/2 0")
    expect(d.conditions(0)).toMatchObject({
      Initialized: "False(ContainersNotInitialized)",
      PodReadyToStartContainers: "True"
    })
    expect(d.at(0).status?.phase).toBe("Pending")
    expect(d.kubectl(5)).toBe("0/1 Init:1/2 0")
    expect(d.kubectl(10)).toBe("1/1 Running 0")
    expect(d.conditions(10)).toEqual(healthy)
  })

  it("C2: failed init under Never ⇒ Failed, Init:Error, PRSC=False", () => {
    const d = new Driver(makePod({ restartPolicy: "Never", initContainers: [c("init-a"), c("init-b")] }), {
      "init-a": once(5, 1)
    }).run(50)
    expect(d.kubectl(6)).toBe("0/1 Init:Error 0")
    expect(d.at(6).status?.phase).toBe("Failed")
    expect(d.conditions(6)).toEqual({
      PodReadyToStartContainers: "False",
      Initialized: "False(ContainersNotInitialized)",
      Ready: "False(PodFailed)",
      ContainersReady: "False(PodFailed)",
      PodScheduled: "True"
    })
  })

  it("C3: crash-looping init container keeps the pod Pending", () => {
    const d = new Driver(makePod({ initContainers: [c("init-a"), c("init-b")] }), { "init-a": every(5, 1) }).run(100)
    expect(d.kubectl(5)).toBe("0/1 Init:0/2 1 (0s ago)")
    expect(d.kubectl(15)).toBe("0/1 Init:CrashLoopBackOff 1 (5s ago)")
    expect(d.at(20).status?.initContainerStatuses?.[0]?.restartCount).toBe(2)
    expect(d.history.every(([, p]) => p.status?.phase === "Pending")).toBe(true)
  })

  it("C6: an app crash after init does not re-run init containers", () => {
    const d = new Driver(makePod({ initContainers: [c("init-a")] }), { "init-a": once(5, 0), app: once(95, 1) }).run(
      150
    )
    expect(d.kubectl(100)).toBe("1/1 Running 1 (0s ago)")
    expect(d.at(100).status?.initContainerStatuses?.[0]?.restartCount).toBe(0)
  })

  it("D1 / D4: a sidecar that crashes after init", () => {
    const d = new Driver(makePod({ initContainers: [sidecar("proxy")] }), {
      proxy: (n) => (n === 0 ? { after: 100, exit: 1 } : n === 1 ? { after: 5, exit: 1 } : undefined)
    }).run(200)
    expect(d.kubectl(0)).toBe("2/2 Running 0")
    expect(d.kubectl(100)).toBe("2/2 Running 1 (0s ago)")
    expect(d.kubectl(110)).toBe("1/2 Init:CrashLoopBackOff 1 (5s ago)")
    expect(d.conditions(110)).toMatchObject({ Initialized: "True", ContainersReady: "False(ContainersNotReady)" })
    expect(d.kubectl(115)).toBe("2/2 Running 2 (10s ago)")
  })

  it("D3: a Job-like pod with a sidecar completes", () => {
    const d = new Driver(
      makePod({ restartPolicy: "Never", initContainers: [sidecar("shipper")], containers: [c("main")] }),
      {
        main: once(20, 0)
      }
    ).run(100)
    expect(d.kubectl(10)).toBe("2/2 Running 0")
    expect(d.kubectl(20)).toBe("0/2 Completed 0")
    expect(d.at(20).status?.phase).toBe("Succeeded")
    expect(d.at(20).status?.initContainerStatuses?.[0]?.state.terminated?.exitCode).toBe(143)
  })

  it("D6: a sidecar restarts under pod restartPolicy Never", () => {
    const d = new Driver(makePod({ restartPolicy: "Never", initContainers: [sidecar("proxy")] }), {
      proxy: once(50, 1)
    }).run(100)
    expect(d.at(50).status?.initContainerStatuses?.[0]?.restartCount).toBe(1)
    expect(d.at(50).status?.phase).toBe("Running")
  })

  it("G8: deletion during a CrashLoopBackOff window ⇒ Failed with the terminated state", () => {
    const d = new Driver(makePod({}), { app: every(5, 1) }, 30).run(100)
    expect(d.kubectl(29)).toBe("0/1 CrashLoopBackOff 2 (4s ago)")
    expect(d.at(30).status?.phase).toBe("Failed")
    expect(d.at(30).status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 1, reason: "Error" })
    // lastState is now the instance before the newest one (finished at 10)
    expect(d.kubectl(30)).toBe("0/1 Error 2 (20s ago)")
  })
})
