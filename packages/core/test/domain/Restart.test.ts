import { describe, expect, it } from "@effect/vitest"
import type { Container, Pod, RestartPolicy } from "../../src/api/Pod.js"
import { shouldContainerBeRestarted } from "../../src/domain/Restart.js"
import type { ContainerInstance, ContainerRuntimeState, RuntimeSnapshot } from "../../src/domain/RuntimeSnapshot.js"

const app: Container = { name: "app", image: "nginx:1.25" }
const proxy: Container = { name: "proxy", image: "envoy:1", restartPolicy: "Always" }

const pod = (restartPolicy: RestartPolicy | undefined, deleting = false): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "p",
    namespace: "default",
    uid: "U",
    ...(deleting ? { deletionTimestamp: "2025-01-01T00:00:30Z" } : {})
  },
  spec: { containers: [app], initContainers: [proxy], ...(restartPolicy ? { restartPolicy } : {}) }
})

const instance = (name: string, state: ContainerRuntimeState, exitCode?: number): ContainerInstance => ({
  id: `id-${name}`,
  name,
  sandboxId: "s1",
  state,
  hash: "h",
  restartCount: 0,
  image: "img",
  imageID: "img-id",
  createdAt: 0,
  ...(exitCode !== undefined ? { exitCode, finishedAt: 5_000 } : {})
})

const snap = (...containers: Array<ContainerInstance>): RuntimeSnapshot => ({ containers })

describe("shouldContainerBeRestarted", () => {
  it.each<[string, Container, RestartPolicy | undefined, RuntimeSnapshot, boolean]>([
    ["never started", app, "Never", snap(), true],
    ["running", app, "Always", snap(instance("app", "running")), false],
    ["created", app, "Never", snap(instance("app", "created")), true],
    ["unknown", app, "Never", snap(instance("app", "unknown")), true],
    ["exit 0, Always", app, "Always", snap(instance("app", "exited", 0)), true],
    ["exit 0, default policy (Always)", app, undefined, snap(instance("app", "exited", 0)), true],
    ["exit 0, OnFailure", app, "OnFailure", snap(instance("app", "exited", 0)), false],
    ["exit 1, OnFailure", app, "OnFailure", snap(instance("app", "exited", 1)), true],
    ["exit 0, Never", app, "Never", snap(instance("app", "exited", 0)), false],
    ["exit 1, Never", app, "Never", snap(instance("app", "exited", 1)), false],
    ["sidecar exit 1, Never", proxy, "Never", snap(instance("proxy", "exited", 1)), true],
    ["sidecar exit 0, OnFailure", proxy, "OnFailure", snap(instance("proxy", "exited", 0)), true],
    ["sidecar running", proxy, "Never", snap(instance("proxy", "running")), false]
  ])("%s", (_name, container, policy, snapshot, expected) => {
    expect(shouldContainerBeRestarted(container, pod(policy), snapshot)).toBe(expected)
  })

  it("uses the newest instance", () => {
    const old = { ...instance("app", "exited", 1), createdAt: 0 }
    const current = { ...instance("app", "running"), createdAt: 5_000, restartCount: 1 }
    expect(shouldContainerBeRestarted(app, pod("Always"), snap(current, old))).toBe(false)
    expect(shouldContainerBeRestarted(app, pod("Always"), snap(old))).toBe(true)
  })

  it("never restarts anything in a deleting pod", () => {
    expect(shouldContainerBeRestarted(app, pod("Always", true), snap())).toBe(false)
    expect(shouldContainerBeRestarted(proxy, pod("Always", true), snap(instance("proxy", "exited", 1)))).toBe(false)
  })
})
