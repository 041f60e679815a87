// Services in a cluster: ClusterIP allocation, Endpoints, cluster DNS names, ClusterIP routing, pod FQDNs,
// the seed's wait-for-service init container, and the flat pod network (I4, pod-to-pod).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Endpoints, Service } from "../../src/api/Objects.js"
import type { Container } from "../../src/api/Pod.js"
import type { Cluster } from "../../src/Cluster.js"
import { at, cluster, getPod, kubectl, pod, sh } from "./support.js"

const service = (name: string, spec: NonNullable<Service["spec"]>, namespace = "default"): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace },
  spec
})

const nginx = (extra: Partial<Container> = {}): Container => ({
  name: "nginx",
  image: "nginx:1.27",
  ports: [{ name: "http", containerPort: 80 }],
  ...extra
})

const client = (c: Cluster, name = "client", namespace = "default") =>
  c.apply({ ...pod(name, { containers: [sh("sh", "sleep 3600")] }), metadata: { name, namespace } })

const run = (c: Cluster, script: string, name = "client", namespace = "default") =>
  c.exec(namespace, name, "sh", ["sh", "-c", script])

describe("Services", () => {
  it.effect("the kubernetes Service and ClusterIPs from 10.96.0.0/12, released on delete", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      const kubernetes = yield* c.get<Service>("services", "kubernetes")
      expect(kubernetes.spec?.clusterIP).toBe("10.96.0.1")
      yield* c.apply(service("a", { selector: { app: "a" }, ports: [{ port: 80 }] }))
      yield* c.apply(service("b", { selector: { app: "b" }, ports: [{ port: 80 }] }))
      const a = yield* c.get<Service>("services", "a")
      const b = yield* c.get<Service>("services", "b")
      expect(a.spec).toMatchObject({ type: "ClusterIP", clusterIP: "10.96.1.1", clusterIPs: ["10.96.1.1"] })
      expect(b.spec?.clusterIP).toBe("10.96.1.2")
      expect(c.control.services.allocator.ownerOf("10.96.1.1")).toBe("default/a")
      yield* c.delete("services", "a")
      expect(c.control.services.allocator.ownerOf("10.96.1.1")).toBeUndefined()
      expect(yield* Effect.flip(c.get("endpoints", "a"))).toMatchObject({ _tag: "NotFound" })
      const headless = yield* c.apply(
        service("h", { clusterIP: "None", selector: { app: "h" }, ports: [{ port: 5432 }] })
      )
      expect((headless[0] as Service).spec?.clusterIP).toBe("None")
      expect((yield* c.get<Service>("services", "h")).spec?.clusterIP).toBe("None")
    })
  )

  it.effect("Endpoints: ready pods as addresses, unready ones as notReadyAddresses, named target ports", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(
        service("web", { selector: { app: "web" }, ports: [{ name: "web", port: 8080, targetPort: "http" }] })
      )
      yield* c.apply(pod("ready", { containers: [nginx()] }, { app: "web" }))
      const probe = { readinessProbe: { exec: { command: ["false"] }, periodSeconds: 5 } }
      yield* c.apply(pod("unready", { containers: [nginx(probe)] }, { app: "web" }))
      yield* c.apply(pod("other", { containers: [nginx()] }, { app: "other" }))
      yield* at(c, 10)
      const ready = yield* getPod(c, "ready")
      const unready = yield* getPod(c, "unready")
      const endpoints = yield* c.get<Endpoints>("endpoints", "web")
      expect(endpoints.subsets).toEqual([
        {
          addresses: [
            {
              ip: ready.status?.podIP,
              nodeName: "n1",
              targetRef: { kind: "Pod", namespace: "default", name: "ready", uid: ready.metadata.uid }
            }
          ],
          notReadyAddresses: [
            {
              ip: unready.status?.podIP,
              nodeName: "n1",
              targetRef: { kind: "Pod", namespace: "default", name: "unready", uid: unready.metadata.uid }
            }
          ],
          ports: [{ name: "web", port: 80, protocol: "TCP" }]
        }
      ])
      yield* c.delete("pods", "ready")
      expect((yield* c.get<Endpoints>("endpoints", "web")).subsets?.[0]?.addresses).toBeUndefined()
    })
  )

  it.effect("DNS: svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local; short names in the pod's own namespace", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } })
      yield* c.apply(service("web", { selector: { app: "web" }, ports: [{ port: 80 }] }))
      yield* client(c)
      yield* client(c, "elsewhere", "other")
      const ip = (yield* c.get<Service>("services", "web")).spec?.clusterIP ?? ""
      for (const name of [
        "web",
        "web.default",
        "web.default.svc",
        "web.default.svc.cluster.local",
        "WEB.default.svc."
      ]) {
        const result = yield* run(c, `nslookup ${name}`)
        expect(result.exitCode, name).toBe(0)
        expect(result.output, name).toContain(`Address: ${ip}`)
      }
      expect((yield* run(c, "nslookup web", "elsewhere", "other")).output).toContain("NXDOMAIN")
      expect((yield* run(c, "nslookup web.default", "elsewhere", "other")).output).toContain(`Address: ${ip}`)
      expect((yield* run(c, "nslookup kubernetes.default")).output).toContain("Address: 10.96.0.1")
      expect((yield* run(c, "nslookup example.com")).exitCode).toBe(1)
      const clientIp = (yield* getPod(c, "client")).status?.podIP ?? ""
      expect((yield* run(c, `nslookup ${clientIp.replaceAll(".", "-")}.default.pod.cluster.local`)).output).toContain(
        `Address: ${clientIp}`
      )
    })
  )

  it.effect("a pod reaches a Service by name (wget): round robin over ready endpoints, refused without any", () =>
    Effect.gen(function* () {
      const c = yield* cluster(["n1", "n2"])
      yield* c.apply(service("web", { selector: { app: "web" }, ports: [{ port: 8080, targetPort: 80 }] }))
      yield* client(c)
      const refused = yield* run(c, "wget -O- http://web:8080/")
      expect(refused.exitCode).toBe(1)
      expect(refused.output).toContain("Connection refused")
      yield* c.apply(pod("web-1", { containers: [nginx()] }, { app: "web" }))
      yield* c.apply(pod("web-2", { containers: [nginx()] }, { app: "web" }))
      yield* at(c, 1)
      const ok = yield* run(c, "wget -qO- http://web:8080/")
      expect(ok.exitCode).toBe(0)
      expect(ok.output).toContain("Welcome to nginx!")
      expect((yield* run(c, "wget -qO- http://web.default.svc.cluster.local:8080/")).exitCode).toBe(0)
      expect((yield* run(c, "wget -qO- http://web:80/")).exitCode).not.toBe(0)
      const backends = new Set<string>()
      for (let i = 0; i < 4; i++) {
        const r = yield* run(c, "wget -O /dev/null http://web:8080/ 2>&1")
        backends.add(/\(([\d.]+):8080\)/.exec(r.output)?.[1] ?? "")
      }
      const ip = (yield* c.get<Service>("services", "web")).spec?.clusterIP
      expect([...backends]).toEqual([ip])
      const turns: Array<string> = []
      for (let i = 0; i < 4; i++) {
        const route = c.network.connect(
          c.nodes[0]!.kubelet.sandboxOf((yield* getPod(c, "client")).metadata.uid!)!,
          ip!,
          8080
        )
        turns.push(route._tag === "Connected" ? route.ip : route._tag)
      }
      const ips = [(yield* getPod(c, "web-1")).status?.podIP, (yield* getPod(c, "web-2")).status?.podIP].sort()
      expect(turns).toEqual([ips[0], ips[1], ips[0], ips[1]])
    })
  )

  it.effect("pod FQDNs: hostname + subdomain with a headless Service", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(service("backend", { clusterIP: "None", selector: { app: "db" }, ports: [{ port: 5432 }] }))
      yield* c.apply(
        pod("db-0", { hostname: "db", subdomain: "backend", containers: [sh("db", "sleep 3600")] }, { app: "db" })
      )
      yield* client(c)
      const ip = (yield* getPod(c, "db-0")).status?.podIP ?? ""
      const fqdn = yield* run(c, "nslookup db.backend.default.svc.cluster.local")
      expect(fqdn.output).toContain(`Address: ${ip}`)
      expect((yield* run(c, "nslookup db.backend")).output).toContain(`Address: ${ip}`)
      expect((yield* run(c, "nslookup backend")).output).toContain(`Address: ${ip}`)
      const endpoints = yield* c.get<Endpoints>("endpoints", "backend")
      expect(endpoints.metadata.labels).toEqual({ "service.kubernetes.io/headless": "" })
      expect(endpoints.subsets?.[0]?.addresses?.[0]?.hostname).toBe("db")
      expect((yield* c.exec("default", "db-0", "db", ["hostname", "-f"])).output.trim()).toBe(
        "db.backend.default.svc.cluster.local"
      )
    })
  )

  it.effect("seed: an init container waits for myservice (Init:0/1, Pending), then the app starts within 2 s", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(`
apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels: { app.kubernetes.io/name: MyApp }
spec:
  initContainers:
    - name: init-myservice
      image: busybox:1.36
      command: ['sh', '-c', 'until nslookup myservice; do echo waiting for myservice; sleep 2; done']
  containers:
    - name: myapp-container
      image: busybox:1.36
      command: ['sh', '-c', 'echo The app is running! && sleep 3600']
`)
      for (const t of [0, 10, 20]) {
        yield* at(c, t)
        expect(yield* kubectl(c, "myapp-pod"), `t=${t}`).toBe("0/1 Init:0/1 0")
        expect((yield* getPod(c, "myapp-pod")).status?.phase).toBe("Pending")
      }
      yield* c.apply(`
apiVersion: v1
kind: Service
metadata: { name: myservice }
spec:
  ports: [{ protocol: TCP, port: 80, targetPort: 9376 }]
`)
      yield* at(c, 21)
      expect(yield* kubectl(c, "myapp-pod")).toBe("0/1 Init:0/1 0")
      yield* at(c, 22)
      expect(yield* kubectl(c, "myapp-pod")).toBe("1/1 Running 0")
      expect((yield* getPod(c, "myapp-pod")).status?.phase).toBe("Running")
      const logs = yield* c.logs("default", "myapp-pod", "init-myservice")
      expect(logs.map((l) => l.line)).toContain("** server can't find myservice: NXDOMAIN")
      const ip = (yield* c.get<Service>("services", "myservice")).spec?.clusterIP
      expect(logs.map((l) => l.line)).toContain(`Address: ${ip}`)
    })
  )

  it.effect("two pods on one node have different IPs and reach each other", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("server", { containers: [nginx()] }))
      yield* client(c)
      const server = yield* getPod(c, "server")
      const me = yield* getPod(c, "client")
      expect(server.spec.nodeName).toBe(me.spec.nodeName)
      expect(server.status?.podIP).not.toBe(me.status?.podIP)
      const r = yield* run(c, `wget -qO- http://${server.status?.podIP}/`)
      expect(r.exitCode).toBe(0)
      expect(r.output).toContain("Welcome to nginx!")
      expect((yield* run(c, `nc -z ${server.status?.podIP} 81`)).exitCode).toBe(1)
    })
  )

  it.effect("I4: two containers of one pod fight over a port; the second cannot bind", () =>
    Effect.gen(function* () {
      const c = yield* cluster()
      yield* c.apply(pod("p", { containers: [nginx({ name: "first" }), nginx({ name: "second" })] }))
      yield* at(c, 1)
      const p = yield* getPod(c, "p")
      const second = p.status?.containerStatuses?.find((s) => s.name === "second")
      expect(p.status?.containerStatuses?.find((s) => s.name === "first")?.state.running).toBeDefined()
      expect(second?.restartCount).toBeGreaterThanOrEqual(1)
      expect(second?.lastState.terminated).toMatchObject({ exitCode: 1, reason: "Error" })
      const logs = yield* c.logs("default", "p", "second", { previous: true })
      expect(logs.map((l) => l.line)).toContain(
        "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)"
      )
      expect(yield* kubectl(c, "p")).toMatch(/^1\/2 (CrashLoopBackOff|Error|Running) [1-9]/)
    })
  )
})
