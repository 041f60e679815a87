// The kubelet beyond the scenario catalogue: active deadline, registry outage, logs, hooks, config sources,
// event counting, several nodes.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { ConfigMap, Secret } from "../../src/api/Objects.js"
import type { Container } from "../../src/api/Pod.js"
import { snapshotOf } from "../../src/kubelet/KubeletContext.js"
import { killPodContainers, killPodContainersInTurn } from "../../src/kubelet/Terminate.js"
import {
  at,
  cluster,
  cond,
  cs,
  eventLines,
  finalVersion,
  getPod,
  history,
  kubectl,
  pod,
  sh,
  stateOf
} from "../scenarios/support.js"

const configMap = (name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "default" },
  data
})

const secret = (name: string, data: Record<string, string>): Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "default" },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, btoa(v)]))
})

/**
 * Kills the running containers of pod `p` (started at t=0, killed at t=5 with a 10 s grace) with
 * `kill`, and returns what a user sees by t=30: the pod's events with their times and fieldPaths,
 * and each container's final state in the runtime.
 */
const killWith = (kill: typeof killPodContainers, containers: ReadonlyArray<Container>) =>
  Effect.gen(function* () {
    const c = yield* cluster()
    yield* c.apply(pod("p", { restartPolicy: "Never", terminationGracePeriodSeconds: 10, containers }))
    yield* at(c, 5)
    const p = yield* getPod(c)
    const ctx = c.nodes[0]!.kubelet.context
    const snapshot = yield* snapshotOf(ctx, p.metadata.uid ?? "")
    const fiber = yield* Effect.forkChild(kill(ctx, p, snapshot, 10))
    yield* at(c, 30)
    yield* Fiber.join(fiber)
    const after = yield* snapshotOf(ctx, p.metadata.uid ?? "")
    return {
      events: (yield* c.events("p")).map(
        (e) => `${e.lastTimestamp} ${e.type} ${e.reason} ${e.involvedObject.fieldPath ?? ""} ${e.message} x${e.count}`
      ),
      states: after.containers.map((x) => `${x.name} ${x.state} ${x.exitCode ?? ""} ${x.finishedAt ?? ""}`),
      status: (yield* getPod(c)).status
    }
  }).pipe(Effect.scoped, Effect.provide(TestClock.layer()))

describe("kubelet", () => {
  it.effect("killing without a sidecar (at once, one inline) agrees with the kill in turn", () =>
    Effect.gen(function* () {
      const slow = sh("slow", "trap 'sleep 2; exit 143' TERM; sleep 3600 & wait", {
        lifecycle: { preStop: { exec: { command: ["sh", "-c", "sleep 3"] } } }
      })
      const stubborn = sh("stubborn", "sleep 3600")
      const quick = sh("quick", "trap 'exit 0' TERM; sleep 3600 & wait")
      for (const containers of [[quick], [slow], [stubborn], [slow, stubborn, quick]]) {
        const fast = yield* killWith(killPodContainers, containers)
        const inTurn = yield* killWith(killPodContainersInTurn, containers)
        expect(fast.events.some((line) => line.includes(" Killing "))).toBe(true)
        expect(fast.states.every((line) => line.includes(" exited "))).toBe(true)
        expect(fast).toEqual(inTurn)
      }
    })
  )

  it.effect("activeDeadlineSeconds: Failed / DeadlineExceeded at the deadline, containers killed", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", { activeDeadlineSeconds: 60, containers: [sh("app", "trap 'exit 143' TERM; sleep 3600 & wait")] })
      )
      yield* at(c, 59)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
      yield* at(c, 60)
      const p = yield* getPod(c)
      expect([p.status?.phase, p.status?.reason, p.status?.message]).toEqual([
        "Failed",
        "DeadlineExceeded",
        "Pod was active on the node longer than the specified deadline"
      ])
      expect(stateOf(cs(p, "app"))).toBe("T(Error,143)")
      expect(yield* kubectl(c)).toBe("0/1 Error 0")
      yield* at(c, 200)
      expect(cs(yield* getPod(c), "app").restartCount).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.effect("registry outage: Always fails even with the image cached; IfNotPresent uses the cache", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.registry.setOutage(true)
      yield* c.apply(pod("always", { containers: [sh("app", "sleep 3600", { imagePullPolicy: "Always" })] }))
      yield* c.apply(pod("cached", { containers: [sh("app", "sleep 3600", { imagePullPolicy: "IfNotPresent" })] }))
      yield* at(c, 1)
      const always = yield* getPod(c, "always")
      expect(stateOf(cs(always, "app"))).toBe("W(RegistryUnavailable)")
      expect(cs(always, "app").state.waiting?.message).toBe(
        "image pull failed for busybox:1.36 because the registry is unavailable."
      )
      expect(yield* kubectl(c, "cached")).toBe("1/1 Running 0")
      yield* c.registry.setOutage(false)
      yield* at(c, 30)
      expect(yield* kubectl(c, "always")).toBe("1/1 Running 0")
    }).pipe(Effect.scoped)
  )

  it.effect("logs of the current and the previous container instance", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          volumes: [{ name: "s", emptyDir: {} }],
          containers: [
            sh("app", "n=$(cat /s/n 2>/dev/null || echo 0); echo $((n+1)) > /s/n; echo run $n; sleep 5; exit 1", {
              volumeMounts: [{ name: "s", mountPath: "/s" }]
            })
          ]
        })
      )
      yield* at(c, 5)
      const current = yield* c.logs("default", "p", "app")
      const previous = yield* c.logs("default", "p", "app", { previous: true })
      expect(current.map((l) => l.line)).toEqual(["run 1"])
      expect(previous.map((l) => l.line)).toEqual(["run 0"])
      const none = yield* c.logs("default", "p", "nope", { previous: true }).pipe(Effect.flip)
      expect(none.message).toBe('previous terminated container "nope" in pod "p" not found')
    }).pipe(Effect.scoped)
  )

  it.effect("postStart failure: FailedPostStartHook, the container is killed and restarted with backoff", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          containers: [
            sh("app", "trap 'exit 143' TERM; sleep 3600 & wait", {
              lifecycle: { postStart: { exec: { command: ["sh", "-c", "exit 3"] } } }
            })
          ]
        })
      )
      yield* at(c, 0)
      const events = eventLines(yield* c.events("p"))
      expect(events).toContain("Warning FailedPostStartHook PostStartHook failed")
      expect(events).toContain("Normal Killing FailedPostStartHook")
      const p = yield* getPod(c)
      expect(cs(p, "app").state.waiting?.reason).toBe("CrashLoopBackOff")
      expect(cs(p, "app").lastState.terminated?.exitCode).toBe(143)
      expect(p.status?.phase).toBe("Running")
    }).pipe(Effect.scoped)
  )

  it.effect("preStop sleep and a failing preStop hook (FailedPreStopHook, termination continues)", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("sleepy", {
          containers: [
            sh("app", "trap 'exit 0' TERM; sleep 3600 & wait", { lifecycle: { preStop: { sleep: { seconds: 5 } } } })
          ]
        })
      )
      yield* c.apply(
        pod("broken", {
          containers: [
            sh("app", "trap 'exit 0' TERM; sleep 3600 & wait", {
              lifecycle: { preStop: { httpGet: { path: "/quit", port: 9999 } } }
            })
          ]
        })
      )
      yield* at(c, 10)
      const sleepy = yield* history(c, "sleepy")
      yield* c.delete("pods", "sleepy")
      yield* c.delete("pods", "broken")
      yield* at(c, 10)
      expect(yield* c.pod("broken")).toBeUndefined()
      expect(eventLines(yield* c.events("broken"))).toContain("Warning FailedPreStopHook PreStopHook failed")
      yield* at(c, 14)
      expect(yield* kubectl(c, "sleepy")).toBe("1/1 Terminating 0")
      yield* at(c, 15)
      expect(finalVersion(sleepy).deletedAt).toBe(15)
      expect(finalVersion(sleepy).last?.pod.status?.phase).toBe("Succeeded")
    }).pipe(Effect.scoped)
  )

  it.effect("ConfigMap and Secret env and volumes, fieldRefs, HOSTNAME; missing Secret key and volume", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(configMap("cfg", { mode: "fast", "app.conf": "x=1" }))
      yield* c.apply(secret("creds", { password: "s3cret" }))
      yield* c.apply(
        pod("p", {
          volumes: [
            { name: "conf", configMap: { name: "cfg" } },
            { name: "sec", secret: { secretName: "creds" } }
          ],
          containers: [
            sh("app", "sleep 3600", {
              envFrom: [{ configMapRef: { name: "cfg" }, prefix: "CFG_" }],
              env: [
                { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
                { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                { name: "GREETING", value: "hello $(POD)" }
              ],
              volumeMounts: [
                { name: "conf", mountPath: "/etc/app" },
                { name: "sec", mountPath: "/etc/secret" }
              ]
            })
          ]
        })
      )
      yield* c.apply(
        pod("nokey", {
          containers: [
            sh("app", "sleep 3600", {
              env: [{ name: "X", valueFrom: { secretKeyRef: { name: "creds", key: "missing" } } }]
            })
          ]
        })
      )
      yield* c.apply(
        pod("novol", {
          volumes: [{ name: "v", secret: { secretName: "absent" } }],
          containers: [sh("app", "sleep 3600")]
        })
      )
      yield* at(c, 1)
      const out = yield* c.exec("default", "p", "app", [
        "sh",
        "-c",
        "echo $CFG_mode $PASSWORD $POD $NS $NODE $HOSTNAME; echo $GREETING; cat /etc/app/app.conf; echo; cat /etc/secret/password"
      ])
      expect(out.output).toBe("fast s3cret p default n1 p\nhello p\nx=1\ns3cret\n")
      const nokey = cs(yield* getPod(c, "nokey"), "app")
      expect([nokey.state.waiting?.reason, nokey.state.waiting?.message]).toEqual([
        "CreateContainerConfigError",
        "couldn't find key missing in Secret default/creds"
      ])
      expect(yield* kubectl(c, "novol")).toBe("0/1 CreateContainerConfigError 0")
      expect(cs(yield* getPod(c, "novol"), "app").state.waiting?.message).toBe('secret "absent" not found')
    }).pipe(Effect.scoped)
  )

  it.effect("tcpSocket and grpc probes go through the pod's port space", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          containers: [
            sh("app", "nc -l -p 9000", {
              readinessProbe: { tcpSocket: { port: 9000 }, periodSeconds: 5 },
              livenessProbe: { grpc: { port: 9100 }, periodSeconds: 5, failureThreshold: 10 }
            })
          ]
        })
      )
      yield* at(c, 1)
      expect(cs(yield* getPod(c), "app").ready).toBe(true)
      yield* at(c, 11)
      const unhealthy = (yield* c.events("p")).filter((e) => e.reason === "Unhealthy")
      const ip = (yield* getPod(c)).status?.podIP
      expect(unhealthy.map((e) => [e.message, e.count])).toEqual([
        [`Liveness probe failed: timeout: failed to connect service "${ip}:9100" within 1s`, 3]
      ])
    }).pipe(Effect.scoped)
  )

  it.effect("events are counted on one Event object with a moving lastTimestamp", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 5; exit 1")] }))
      yield* at(c, 5)
      const first = (yield* c.events("p")).find((e) => e.reason === "Started")
      yield* at(c, 25)
      const events = yield* c.events("p")
      const started = events.filter((e) => e.reason === "Started")
      expect(started.length).toBe(1)
      expect(started[0]?.metadata.name).toBe(first?.metadata.name)
      expect(started[0]?.count).toBe(3)
      expect(started[0]?.firstTimestamp).toBe(first?.firstTimestamp)
      expect(Date.parse(started[0]!.lastTimestamp!) - c.startedAt).toBe(20_000)
      expect(started[0]?.involvedObject).toMatchObject({ kind: "Pod", name: "p", fieldPath: "spec.containers{app}" })
      expect(started[0]?.source).toEqual({ component: "kubelet", host: "n1" })
    }).pipe(Effect.scoped)
  )

  it.effect("each node's kubelet runs only the pods bound to it", () =>
    Effect.gen(function* () {
      const c = yield* cluster({
        nodes: [
          { name: "n1", images: ["busybox:1.36"] },
          { name: "n2", images: ["busybox:1.36"] }
        ]
      })
      yield* c.apply(pod("one", { containers: [sh("app", "sleep 3600")] }))
      yield* c.apply(pod("two", { nodeName: "n2", containers: [sh("app", "sleep 3600")] }))
      yield* at(c, 1)
      const one = yield* getPod(c, "one")
      const two = yield* getPod(c, "two")
      expect([one.status?.phase, two.status?.phase]).toEqual(["Running", "Running"])
      expect(one.status?.podIP).toMatch(/^10\.244\.0\./)
      expect(two.status?.podIP).toMatch(/^10\.244\.1\./)
      expect([one.status?.hostIP, two.status?.hostIP]).toEqual(["172.18.0.2", "172.18.0.3"])
      expect((yield* c.events("two"))[0]?.source?.host).toBe("n2")
      const nodes = yield* c.list("nodes")
      expect(nodes.map((n) => n.metadata.name)).toEqual(["n1", "n2"])
      expect(cond(one, "Ready")).toBe("T")
    }).pipe(Effect.scoped)
  )
})
