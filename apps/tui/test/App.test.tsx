import type { Node } from "@podlet/core"
import { render } from "ink-testing-library"
import { afterEach, describe, expect, it } from "vitest"
import { App } from "../src/ui/App.js"
import { fakeSource } from "./FakeSource.js"
import { podOf } from "./fixtures.js"

const web = podOf("web", [
  { name: "app", ready: true, started: true, state: { running: { startedAt: "2025-01-01T00:00:00Z" } } }
])
const crashy = podOf("crashy", [
  {
    name: "app",
    restartCount: 3,
    state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" } },
    lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: "2025-01-01T00:00:00Z" } }
  }
])

const tick = () => new Promise((r) => setTimeout(r, 20))

/** Waits (up to 3 s of wall time: this is UI rendering, not cluster time) until the frame satisfies `check`. */
const frameWhere = async (app: { lastFrame: () => string | undefined }, check: (frame: string) => boolean) => {
  for (let i = 0; i < 150; i++) {
    if (check(app.lastFrame() ?? "")) return app.lastFrame() ?? ""
    await tick()
  }
  return app.lastFrame() ?? ""
}

const type = async (app: { stdin: { write: (s: string) => void } }, keys: string) => {
  for (const ch of keys) {
    app.stdin.write(ch)
    await tick()
  }
}
let unmount: (() => void) | undefined
afterEach(() => unmount?.())

const mount = (fake: ReturnType<typeof fakeSource>, height = 20) => {
  const app = render(<App source={fake.source} readManifest={async (p) => `manifest ${p}`} height={height} />)
  unmount = app.unmount
  return app
}

describe("App", () => {
  it("lists pods with kubectl's columns and follows the source", async () => {
    const fake = fakeSource({ pods: [web] })
    const app = mount(fake)
    const first = await frameWhere(app, (f) => f.includes("web"))
    expect(first).toContain("NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP           NODE")
    expect(first).toMatch(/default\s+web\s+1\/1\s+Running/)
    fake.update({ pods: [web, crashy] })
    const second = await frameWhere(app, (f) => f.includes("crashy"))
    expect(second).toMatch(/crashy\s+0\/1\s+CrashLoopBackOff\s+3/)
    expect(second).toContain("pods (2)")
  })

  it("describes the selected pod on Enter and goes back on Esc", async () => {
    const app = mount(fakeSource({ pods: [web, crashy] }), 60)
    await frameWhere(app, (f) => f.includes("crashy"))
    app.stdin.write("\r")
    const detail = await frameWhere(app, (f) => f.includes("Name:"))
    expect(detail).toMatch(/Name:\s+crashy/)
    expect(detail).toMatch(/Reason:\s+CrashLoopBackOff/)
    expect(detail).toMatch(/Restart Count:\s+3/)
    app.stdin.write("\u001b")
    expect(await frameWhere(app, (f) => f.includes("STATUS"))).toContain("RESTARTS")
  })

  it("filters with /", async () => {
    const app = mount(fakeSource({ pods: [web, crashy] }))
    await tick()
    await type(app, "/web")
    const frame = await frameWhere(app, (f) => f.includes("filter: /web"))
    expect(frame).toContain("filter: /web")
    expect(frame).not.toContain("crashy")
  })

  it("asks before deleting, then calls the source", async () => {
    const fake = fakeSource({ pods: [web] })
    const app = mount(fake)
    await frameWhere(app, (f) => f.includes("web"))
    app.stdin.write("\u0004")
    expect(await frameWhere(app, (f) => f.includes("(y/n)"))).toContain("Delete pod default/web? (y/n)")
    app.stdin.write("y")
    expect(await frameWhere(app, (f) => f.includes("deleted"))).toContain("deleted pod web")
    expect(fake.calls).toContainEqual(["delete", "Pod", "default", "web"])
  })

  it("shows an action the source cannot do as unavailable", async () => {
    const fake = fakeSource({ pods: [web] })
    const app = mount(fake)
    await frameWhere(app, (f) => f.includes("web"))
    app.stdin.write(" ")
    expect(await frameWhere(app, (f) => f.includes("not available"))).toContain("timeControl: not available on fake")
    expect(fake.calls).toEqual([])
  })

  it("switches views with : commands and shows help with ?", async () => {
    const app = mount(fakeSource({ pods: [web] }), 40)
    await frameWhere(app, (f) => f.includes("web"))
    await type(app, ":nodes")
    app.stdin.write("\r")
    expect(await frameWhere(app, (f) => f.includes("TAINTS"))).toContain("NAME   STATUS   TAINTS")
    app.stdin.write("?")
    expect(await frameWhere(app, (f) => f.includes("Keys"))).toContain("pause or resume the clock")
  })

  it("counts each node's pods in the nodes view", async () => {
    const node = (name: string): Node => ({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, creationTimestamp: "2025-01-01T00:00:00Z" },
      status: { allocatable: { pods: "110", cpu: "4", memory: "8Gi" }, conditions: [{ type: "Ready", status: "True" }] }
    })
    const elsewhere = {
      ...web,
      metadata: { ...web.metadata, name: "web-2" },
      spec: { ...web.spec, nodeName: "node-2" }
    }
    const app = mount(fakeSource({ pods: [web, crashy, elsewhere], nodes: [node("node-1"), node("node-2")] }), 40)
    await frameWhere(app, (f) => f.includes("web"))
    app.stdin.write("3")
    const frame = await frameWhere(app, (f) => f.includes("TAINTS"))
    expect(frame).toMatch(/node-1\s+Ready\s+0\s+2\/110/)
    expect(frame).toMatch(/node-2\s+Ready\s+0\s+1\/110/)
  })

  it("shows each node's container runtime, and the process runtime's mode and real clock in the header", async () => {
    const machine = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "this-machine", creationTimestamp: "2025-01-01T00:00:00Z" },
      status: {
        allocatable: { pods: "110", cpu: "2", memory: "8Gi" },
        conditions: [{ type: "Ready", status: "True" }],
        nodeInfo: { containerRuntimeVersion: "podlet-process://host" }
      }
    } as unknown as Node
    const fake = fakeSource({ pods: [web], nodes: [machine] })
    Object.assign(fake.source, {
      description: "embedded (process (host), 1 node)",
      clock: () => ({ mode: "real", paused: false, speed: 1 })
    })
    const app = mount(fake, 40)
    await frameWhere(app, (f) => f.includes("web"))
    app.stdin.write("3")
    const frame = await frameWhere(app, (f) => f.includes("TAINTS"))
    expect(frame).toMatch(/CONTAINER-RUNTIME/)
    expect(frame).toMatch(/this-machine\s+Ready\s+.*podlet-process:\/\/host/)
    expect(frame).toMatch(/podlet embedded \(process \(host\), 1 node\)\s+\S+ \S+ UTC {2}real clock/)
    app.stdin.write(" ")
    expect(await frameWhere(app, (f) => f.includes("not available"))).toContain(
      "pause and speed: not available on the real clock of embedded (process (host), 1 node)"
    )
    expect(fake.calls).toEqual([])
  })

  it("shows logs of the focused pod's container", async () => {
    const fake = fakeSource({ pods: [web] })
    const app = mount(fake)
    await frameWhere(app, (f) => f.includes("web"))
    app.stdin.write("l")
    expect(await frameWhere(app, (f) => f.includes("log of app"))).toContain("log of app")
    expect(fake.calls).toContainEqual(["logs", "default", "web", "app", false])
  })
})
