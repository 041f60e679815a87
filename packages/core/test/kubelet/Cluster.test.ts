// The Cluster facade: YAML apply, the virtual-clock contract, spec updates reaching the kubelet.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Pod } from "../../src/api/Pod.js"
import { at, bo, cluster, cs, eventLines, getPod, kubectl, pod, sh, stateOf } from "../scenarios/support.js"

const manifest = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  greeting: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  nodeName: n1
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "echo $GREETING; sleep 5; exit 1"]
      env:
        - name: GREETING
          valueFrom:
            configMapKeyRef: { name: cfg, key: greeting }
`

describe("Cluster", () => {
  it.effect("apply takes multi-document YAML; get, list, logs, printPods read it back", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const applied = yield* c.apply(manifest)
      expect(applied.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["ConfigMap/cfg", "Pod/p"])
      const p = yield* c.get<Pod>("pods", "p")
      expect(p.status?.phase).toBe("Running")
      expect((yield* c.list("configmaps", { namespace: "default" })).map((o) => o.metadata.name)).toContain("cfg")
      expect((yield* c.logs("default", "p", "app")).map((l) => l.line)).toEqual(["hello"])
      const rows = yield* c.printPods()
      expect(rows.map((r) => [r.name, r.ready, r.status, r.restarts, r.age, r.node])).toEqual([
        ["p", "1/1", "Running", "0", "0s", "n1"]
      ])
      const again = yield* c.apply(manifest)
      expect(again.map((o) => o.metadata.name)).toEqual(["cfg", "p"])
      const bad = yield* c.apply("kind: Nope\napiVersion: v1\nmetadata: {name: x}").pipe(Effect.flip)
      expect(bad._tag).toBe("BadRequest")
    }).pipe(Effect.scoped)
  )

  it.effect("one advance runs every due timer in order: a whole crash loop in a single call", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { containers: [sh("app", "sleep 5; exit 1")] }))
      yield* c.advance("950 seconds")
      expect(yield* c.elapsed).toBe(950_000)
      const p = yield* getPod(c)
      expect([stateOf(cs(p, "app")), cs(p, "app").restartCount]).toEqual(["R", 8])
      expect(yield* kubectl(c)).toBe("1/1 Running 8 (5m ago)")
      yield* c.advance("5 seconds")
      const later = yield* getPod(c)
      expect(cs(later, "app").state.waiting?.message).toBe(bo(later, "5m0s"))
    }).pipe(Effect.scoped)
  )

  it.effect("a changed container image restarts the container (definition changed) with the new image", () =>
    Effect.gen(function* () {
      const c = yield* cluster({ extraImages: ["busybox:1.37"] })
      yield* c.apply(pod("p", { containers: [sh("app", "trap 'exit 143' TERM; sleep 3600 & wait")] }))
      yield* at(c, 10)
      const p = yield* getPod(c)
      yield* c.store.update("pods", {
        ...p,
        spec: { ...p.spec, containers: [{ ...p.spec.containers[0]!, image: "busybox:1.37" }] }
      })
      yield* c.settle
      const after = yield* getPod(c)
      expect([stateOf(cs(after, "app")), cs(after, "app").restartCount]).toEqual(["R", 1])
      expect(cs(after, "app").image).toBe("docker.io/library/busybox:1.37")
      expect(eventLines(yield* c.events("p"))).toContain(
        "Normal Killing Container app definition changed, will be restarted"
      )
    }).pipe(Effect.scoped)
  )
})
