// Spec pod-lifecycle §16.E: images and start errors (pull policy, pull backoff, config errors, StartError).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import { humanDuration } from "../../src/domain/HumanDuration.js"
import { makeImageInfo } from "../../src/layers/RegistrySimulated.js"
import { at, bo, cluster, cond, cs, eventLines, getPod, kubectl, lastOf, pod, sh, stateOf } from "./support.js"

const hex = "a".repeat(64)

describe("§16.E images and start errors", () => {
  it.effect("E1 imagePullPolicy defaulting, never re-applied on image changes", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const cases: ReadonlyArray<readonly [string, string | undefined, string]> = [
        ["nginx", undefined, "Always"],
        ["nginx:latest", undefined, "Always"],
        ["nginx:1.25", undefined, "IfNotPresent"],
        [`nginx@sha256:${hex}`, undefined, "IfNotPresent"],
        [`nginx:latest@sha256:${hex}`, undefined, "Always"],
        ["registry.local:5000/app", undefined, "Always"],
        ["nginx", "Never", "Never"]
      ]
      for (const [i, [image, policy, expected]] of cases.entries()) {
        const created = yield* c.store.create<Pod>(
          "pods",
          pod(`e1-${i}`, {
            nodeName: undefined,
            containers: [
              { name: "app", image, ...(policy !== undefined ? { imagePullPolicy: policy as "Never" } : {}) }
            ]
          })
        )
        expect(created.object.spec.containers[0]?.imagePullPolicy, image).toBe(expected)
      }
      const stored = yield* c.store.get<Pod>("pods", "default", "e1-2")
      const updated = yield* c.store.update<Pod>("pods", {
        ...stored,
        spec: { ...stored.spec, containers: [{ ...stored.spec.containers[0]!, image: "nginx:latest" }] }
      })
      expect(updated.object.spec.containers[0]?.imagePullPolicy).toBe("IfNotPresent")
    }).pipe(Effect.scoped)
  )

  it.effect("E2 a pull that always fails: ErrImagePull / ImagePullBackOff at 0, 10, 30, 70, 150, 310, 610, 910", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const image = "example.com/missing:1.0"
      yield* c.apply(pod("p", { containers: [{ name: "app", image, command: ["sh", "-c", "sleep 3600"] }] }))
      const schedule: ReadonlyArray<readonly [number, string]> = [
        [0, "ErrImagePull"],
        [19, "ErrImagePull"],
        [20, "ImagePullBackOff"],
        [29, "ImagePullBackOff"],
        [30, "ErrImagePull"],
        [39, "ErrImagePull"],
        [40, "ImagePullBackOff"],
        [69, "ImagePullBackOff"],
        [70, "ErrImagePull"],
        [80, "ImagePullBackOff"],
        [149, "ImagePullBackOff"],
        [150, "ErrImagePull"],
        [160, "ImagePullBackOff"],
        [309, "ImagePullBackOff"],
        [310, "ErrImagePull"],
        [320, "ImagePullBackOff"],
        [609, "ImagePullBackOff"]
      ]
      for (const [t, reason] of schedule) {
        yield* at(c, t)
        const p = yield* getPod(c)
        const s = cs(p, "app")
        expect(yield* kubectl(c), `t=${t}`).toBe(`0/1 ${reason} 0`)
        expect(stateOf(s)).toBe(`W(${reason})`)
        if (reason === "ImagePullBackOff") expect(s.state.waiting?.message).toBe(`Back-off pulling image "${image}"`)
        else expect(s.state.waiting?.message).toContain("not found")
        expect([p.status?.phase, s.restartCount]).toEqual(["Pending", 0])
        expect(["PodReadyToStartContainers", "Initialized", "ContainersReady"].map((x) => cond(p, x))).toEqual([
          "T",
          "T",
          "F(ContainersNotReady)"
        ])
      }
      yield* at(c, 910)
      const events = yield* c.events("p")
      const count = (reason: string, prefix: string) =>
        events.find((e) => e.reason === reason && e.message?.startsWith(prefix))?.count ?? 0
      // The attempts go on (the statuses above), but the kubelet's event recorder has client-go's spam filter:
      // 25 writes per pod, then one per 5 minutes; a filtered occurrence is counted and carried by the next
      // write. Hence the familiar `describe` of a 15-minute ImagePullBackOff: Pulling / Failed x4 (the
      // burst is spent by t=80), Error: ImagePullBackOff x6, and BackOff written every 5 minutes with every
      // occurrence counted.
      const kubelet = events.filter((e) => e.source?.component === "kubelet")
      expect(kubelet.map((e) => [e.reason, e.message?.split(" ").slice(0, 2).join(" "), e.count])).toEqual([
        ["Pulling", "Pulling image", 4],
        ["Failed", "Failed to", 4],
        ["Failed", "Error: ErrImagePull", 4],
        ["BackOff", "Back-off pulling", 84],
        ["Failed", "Error: ImagePullBackOff", 6]
      ])
      expect(count("Pulling", "Pulling image")).toBe(4)
      expect(events.find((e) => e.reason === "Pulling")?.lastTimestamp).toBe("2025-01-01T00:01:10Z")
      expect(events.find((e) => e.reason === "BackOff")?.lastTimestamp).toBe("2025-01-01T00:15:00Z")
    }).pipe(Effect.scoped)
  )

  it.effect("E3 pull policy Never, image absent until t=25: ErrImageNeverPull, then Running at t=30", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          containers: [
            { name: "app", image: "local/app:dev", imagePullPolicy: "Never", command: ["sh", "-c", "sleep 3600"] }
          ]
        })
      )
      for (const t of [0, 10, 25, 29]) {
        yield* at(c, t)
        if (t === 25) c.nodes[0]!.images.put(makeImageInfo("local/app:dev"))
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Pending")
        expect(stateOf(cs(p, "app"))).toBe("W(ErrImageNeverPull)")
        expect(cs(p, "app").state.waiting?.message).toBe(
          'Container image "local/app:dev" is not present with pull policy of Never'
        )
        expect(yield* kubectl(c)).toBe("0/1 ErrImageNeverPull 0")
      }
      const neverPull = (yield* c.events("p")).find((e) => e.reason === "ErrImageNeverPull")
      expect(neverPull?.count).toBe(3)
      yield* at(c, 30)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
    }).pipe(Effect.scoped)
  )

  it.effect("E4 IfNotPresent uses the present image; Always pulls on every (re)start", () =>
    Effect.gen(function* () {
      const c = yield* cluster({ extraImages: ["nginx:1.25"] })
      yield* c.apply(pod("a", { containers: [{ name: "app", image: "nginx:1.25" }] }))
      yield* c.apply(pod("b", { containers: [sh("app", "sleep 5; exit 1", { imagePullPolicy: "Always" })] }))
      yield* at(c, 5)
      const a = eventLines(yield* c.events("a"))
      expect(a).toContain('Normal Pulled Container image "nginx:1.25" already present on machine')
      expect(a.some((l) => l.includes("Pulling"))).toBe(false)
      expect(yield* kubectl(c, "a")).toBe("1/1 Running 0")
      const b = yield* c.events("b")
      expect(b.find((e) => e.reason === "Pulling")?.count).toBe(2)
      const pulled = b.find((e) => e.reason === "Pulled")
      expect(pulled?.message).toMatch(/^Successfully pulled image "busybox:1.36" in 0s \(0s including waiting\)\./)
      expect(pulled?.count).toBe(2)
    }).pipe(Effect.scoped)
  )

  it.effect("E5 a missing ConfigMap key ref: CreateContainerConfigError until it exists", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          containers: [
            sh("app", "sleep 3600", {
              env: [{ name: "K", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } }]
            })
          ]
        })
      )
      for (const t of [0, 10, 25, 29]) {
        yield* at(c, t)
        if (t === 25) {
          yield* c.apply({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "cfg", namespace: "default" },
            data: { k: "v" }
          } as never)
        }
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Pending")
        expect(cond(p, "PodReadyToStartContainers")).toBe("T")
        expect(stateOf(cs(p, "app"))).toBe("W(CreateContainerConfigError)")
        expect(cs(p, "app").state.waiting?.message).toBe('configmap "cfg" not found')
        expect(cs(p, "app").restartCount).toBe(0)
        expect(yield* kubectl(c)).toBe("0/1 CreateContainerConfigError 0")
      }
      expect((yield* c.events("p")).find((e) => e.message === 'Error: configmap "cfg" not found')?.count).toBe(3)
      yield* at(c, 30)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
      expect(yield* c.exec("default", "p", "app", ["sh", "-c", "echo $K"])).toMatchObject({
        exitCode: 0,
        output: "v\n"
      })
    }).pipe(Effect.scoped)
  )

  it.effect("E6 command /nonexistent under Never: StartError, Failed", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        pod("p", {
          restartPolicy: "Never",
          containers: [{ name: "app", image: "busybox:1.36", command: ["/nonexistent"] }]
        })
      )
      yield* at(c, 0)
      const p = yield* getPod(c)
      expect(stateOf(cs(p, "app"))).toBe("T(StartError,128)")
      expect(cs(p, "app").state.terminated?.message).toContain("/nonexistent")
      expect(p.status?.phase).toBe("Failed")
      expect(yield* kubectl(c)).toBe("0/1 StartError 0")
      expect(cond(p, "ContainersReady")).toBe("F(PodFailed)")
    }).pipe(Effect.scoped)
  )

  it.effect("E7 command /nonexistent under Always: each failed start is an exit, CrashLoopBackOff", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { containers: [{ name: "app", image: "busybox:1.36", command: ["/nonexistent"] }] }))
      const windows: ReadonlyArray<readonly [number, number, string, number]> = [
        [0, 9, "10s", 1],
        [10, 29, "20s", 2],
        [30, 69, "40s", 3],
        [70, 149, "1m20s", 4],
        [150, 309, "2m40s", 5]
      ]
      for (const [from, to, d, rc] of windows) {
        for (const t of [from, to]) {
          yield* at(c, t)
          const p = yield* getPod(c)
          const s = cs(p, "app")
          expect(stateOf(s), `t=${t}`).toBe("W(CrashLoopBackOff)")
          expect(s.state.waiting?.message).toBe(bo(p, d))
          expect(s.restartCount, `t=${t}`).toBe(rc)
          expect(lastOf(c, s)).toBe(`T(StartError,128,@${from})`)
          expect(p.status?.phase).toBe("Running")
          expect(yield* kubectl(c), `t=${t}`).toBe(
            `0/1 CrashLoopBackOff ${rc} (${humanDuration((t - from) * 1000)} ago)`
          )
        }
      }
    }).pipe(Effect.scoped)
  )

  it.effect("E8 the image is pulled for 20 s: ContainerCreating, then Running", () =>
    Effect.gen(function* () {
      const c = yield* cluster({ registry: { extra: [{ name: "example.com/slow", tag: "1.0", pullSeconds: 20 }] } })
      yield* c.apply(
        pod("p", { containers: [{ name: "app", image: "example.com/slow:1.0", command: ["sh", "-c", "sleep 3600"] }] })
      )
      for (const t of [0, 10, 19]) {
        yield* at(c, t)
        const p = yield* getPod(c)
        expect(p.status?.phase).toBe("Pending")
        expect(stateOf(cs(p, "app"))).toBe("W(ContainerCreating)")
        expect(yield* kubectl(c)).toBe("0/1 ContainerCreating 0")
        expect(["PodReadyToStartContainers", "Initialized", "ContainersReady"].map((x) => cond(p, x))).toEqual([
          "T",
          "T",
          "F(ContainersNotReady)"
        ])
      }
      yield* at(c, 20)
      expect(yield* kubectl(c)).toBe("1/1 Running 0")
      const events = yield* c.events("p")
      const when = (reason: string) => {
        const e = events.find((x) => x.reason === reason)
        return e?.firstTimestamp === undefined ? undefined : (Date.parse(e.firstTimestamp) - c.startedAt) / 1000
      }
      expect([when("Pulling"), when("Pulled"), when("Created"), when("Started")]).toEqual([0, 20, 20, 20])
      expect(events.find((e) => e.reason === "Pulled")?.message).toMatch(
        /^Successfully pulled image "example.com\/slow:1.0" in 20s \(20s including waiting\)\. Image size: \d+ bytes\.$/
      )
    }).pipe(Effect.scoped)
  )
})
