// Spec pod-lifecycle §16.I: pod-level shared resources (hostname, /etc/hosts, emptyDir, network namespace).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Namespace } from "../../src/api/Objects.js"
import { at, cluster, cs, getPod, pod, sh, stateOf } from "./support.js"

const prod: Namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } }

describe("§16.I shared resources", () => {
  it.effect("I1 hostname and /etc/hosts: the pod name, or spec.hostname with its subdomain FQDN", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(prod)
      yield* c.apply({
        ...pod("web-0", { containers: [sh("app", "sleep 3600")] }),
        metadata: { name: "web-0", namespace: "prod" }
      })
      yield* c.apply({
        ...pod("web-1", { hostname: "db", subdomain: "backend", containers: [sh("app", "sleep 3600")] }),
        metadata: { name: "web-1", namespace: "prod" }
      })
      yield* at(c, 1)
      const ipOf = (name: string) =>
        Effect.map(c.pod(name, "prod"), (p) => {
          const ip = p?.status?.podIP
          if (ip === undefined) throw new Error(`no IP for ${name}`)
          return ip
        })
      const a = yield* c.exec("prod", "web-0", "app", ["sh", "-c", "hostname; echo $HOSTNAME; cat /etc/hosts"])
      const aLines = a.output.trimEnd().split("\n")
      expect(aLines.slice(0, 2)).toEqual(["web-0", "web-0"])
      expect(aLines[aLines.length - 1]).toBe(`${yield* ipOf("web-0")}\tweb-0`)
      const b = yield* c.exec("prod", "web-1", "app", ["sh", "-c", "hostname; cat /etc/hosts"])
      const bLines = b.output.trimEnd().split("\n")
      expect(bLines[0]).toBe("db")
      expect(bLines).toContain(`${yield* ipOf("web-1")}\tdb.backend.prod.svc.cluster.local\tdb`)
    }).pipe(Effect.scoped)
  )

  it.effect("I2 a 70-character pod name: hostname truncated to 63, trailing '-' removed", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const name = `${"a".repeat(62)}-bcdefgh`
      expect(name.length).toBe(70)
      yield* c.apply(pod(name, { containers: [sh("app", "sleep 3600")] }))
      yield* at(c, 1)
      const out = yield* c.exec("default", name, "app", ["hostname"])
      expect(out.output.trim()).toBe("a".repeat(62))
    }).pipe(Effect.scoped)
  )

  it.effect("I3 emptyDir survives a container crash, not the pod; a replacement pod starts empty", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const spec = {
        volumes: [{ name: "cache", emptyDir: {} }],
        containers: [
          sh("app", "if [ -f /cache/x ]; then sleep 3600; else sleep 10; echo data > /cache/x; sleep 10; exit 1; fi", {
            volumeMounts: [{ name: "cache", mountPath: "/cache" }]
          })
        ]
      }
      yield* c.apply(pod("p", spec))
      yield* at(c, 20)
      const p = yield* getPod(c)
      expect([stateOf(cs(p, "app")), cs(p, "app").restartCount]).toEqual(["R", 1])
      expect(yield* c.exec("default", "p", "app", ["cat", "/cache/x"])).toMatchObject({ exitCode: 0, output: "data\n" })
      const firstUid = p.metadata.uid
      yield* c.delete("pods", "p", { gracePeriodSeconds: 0, force: true })
      yield* at(c, 25)
      expect(yield* c.pod("p")).toBeUndefined()
      expect(yield* c.nodes[0]!.runtime.listSandboxes(firstUid)).toEqual([])
      yield* c.apply(pod("p", spec))
      yield* at(c, 26)
      const replacement = yield* getPod(c)
      expect(replacement.metadata.uid).not.toBe(firstUid)
      expect((yield* c.exec("default", "p", "app", ["ls", "/cache"])).output).toBe("")
    }).pipe(Effect.scoped)
  )

  it.effect("I4 one network namespace: the pod IP in every container, localhost, one port space", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const podIP = { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }
      yield* c.apply(
        pod("p", {
          containers: [
            sh("a", "httpd -f -p 8080", { env: [podIP], ports: [{ containerPort: 8080 }] }),
            sh("b", "sleep 3600", { env: [podIP] }),
            sh("c", "httpd -f -p 8080")
          ]
        })
      )
      yield* at(c, 1)
      const p = yield* getPod(c)
      const ip = p.status?.podIP
      expect(ip).toMatch(/^10\.244\.0\.\d+$/)
      expect((yield* c.exec("default", "p", "a", ["sh", "-c", "echo $POD_IP"])).output.trim()).toBe(ip)
      expect((yield* c.exec("default", "p", "b", ["sh", "-c", "echo $POD_IP"])).output.trim()).toBe(ip)
      expect((yield* c.exec("default", "p", "b", ["nc", "-z", "localhost", "8080"])).exitCode).toBe(0)
      expect(cs(p, "c").restartCount).toBeGreaterThanOrEqual(1)
      const logs = yield* c.logs("default", "p", "c", { previous: true })
      expect(logs.map((l) => l.line).join("\n")).toContain("Address already in use")
      yield* at(c, 60)
      const later = yield* getPod(c)
      expect(cs(later, "c").restartCount).toBeGreaterThan(cs(p, "c").restartCount)
      expect(later.status?.podIP).toBe(ip)
    }).pipe(Effect.scoped)
  )
})
