import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber } from "effect"
import type { HttpResponse, NetworkFacade } from "../../src/sim/Process.js"
import { advanceTo, sh, start } from "./support.js"

const podIp = "10.244.0.5"

/**
 * A fake pod network: ports bound by the pod's processes (on 127.0.0.1 and the pod IP), remote
 * endpoints that accept connections, and DNS names (optionally appearing at a virtual time).
 */
const podNetwork = (
  options: {
    readonly names?: Readonly<Record<string, string>>
    readonly remote?: ReadonlyArray<string>
    readonly appears?: { readonly name: string; readonly ip: string; readonly atMs: number }
    readonly http?: (host: string, port: number, path: string) => HttpResponse | undefined
  } = {}
) => {
  const bound = new Set<number>()
  const closed: Array<number> = []
  const network: NetworkFacade = {
    listen: (port) =>
      Effect.sync(() => {
        if (bound.has(port)) return "bind: Address already in use" as const
        bound.add(port)
        return "ok" as const
      }),
    close: (port) =>
      Effect.sync(() => {
        bound.delete(port)
        closed.push(port)
      }),
    connect: (host, port) =>
      Effect.succeed(
        ((host === "127.0.0.1" || host === podIp) && bound.has(port)) ||
          (options.remote ?? []).includes(`${host}:${port}`)
      ),
    resolve: (name) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const a = options.appears
        if (a !== undefined && a.name === name && now >= a.atMs) return a.ip
        return options.names?.[name]
      }),
    ...(options.http === undefined
      ? {}
      : { http: (host: string, port: number, path: string) => Effect.succeed(options.http!(host, port, path)) })
  }
  return { network, bound, closed }
}

const seedScript = "for i in {1..100}; do sleep 1; if dig myservice; then exit 0; fi; done; exit 1"

describe("network commands", () => {
  it.effect("seed: waits for a Service to appear in DNS, exits 0 right after", () =>
    Effect.gen(function* () {
      const { network } = podNetwork({ appears: { name: "myservice", ip: "10.96.0.15", atMs: 30_500 } })
      const r = yield* start(seedScript, { network })
      yield* advanceTo(30_999)
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(31_000)
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
      expect(r.out).toContain("myservice.\t\t30\tIN\tA\t10.96.0.15")
    })
  )

  it.effect("seed: a Service that never appears exits 1 after 100 s of virtual time", () =>
    Effect.gen(function* () {
      const { network } = podNetwork()
      const r = yield* start(seedScript, { network })
      yield* advanceTo(99_999)
      expect(r.fiber.pollUnsafe()).toBeUndefined()
      yield* advanceTo(100_000)
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(1))
      expect(r.out.filter((l) => l.includes("status: NXDOMAIN"))).toHaveLength(100)
    })
  )

  it.effect("nslookup, host, getent and dig +short", () =>
    Effect.gen(function* () {
      const { network } = podNetwork({ names: { "db.default.svc.cluster.local": "10.96.0.9" } })
      const ok = yield* sh(
        "nslookup db.default.svc.cluster.local; host db.default.svc.cluster.local; getent hosts db.default.svc.cluster.local; dig +short db.default.svc.cluster.local",
        { network }
      )
      expect(ok.out).toEqual([
        "Server:\t\t10.96.0.10",
        "Address:\t10.96.0.10:53",
        "",
        "Name:\tdb.default.svc.cluster.local",
        "Address: 10.96.0.9",
        "",
        "db.default.svc.cluster.local has address 10.96.0.9",
        "10.96.0.9       db.default.svc.cluster.local",
        "10.96.0.9"
      ])
      const missing = yield* sh(
        "nslookup nope; echo $?; host nope; echo $?; getent hosts nope; echo $?; dig +short nope; echo $?",
        {
          network
        }
      )
      expect(missing.out).toEqual([
        "Server:\t\t10.96.0.10",
        "Address:\t10.96.0.10:53",
        "",
        "** server can't find nope: NXDOMAIN",
        "",
        "1",
        "Host nope not found: 3(NXDOMAIN)",
        "1",
        "2",
        "1"
      ])
    })
  )

  it.effect("the nslookup server comes from /etc/resolv.conf", () =>
    Effect.gen(function* () {
      const { network } = podNetwork()
      const p = yield* sh("echo 'nameserver 10.0.0.10' > /etc/resolv.conf; nslookup x | head -n 1", { network })
      expect(p.out).toEqual(["Server:\t\t10.0.0.10"])
    })
  )

  it.effect("until nslookup loop (init container) finishes when the name resolves", () =>
    Effect.gen(function* () {
      const { network } = podNetwork({ appears: { name: "mydb", ip: "10.96.0.3", atMs: 7_000 } })
      const r = yield* start("until nslookup mydb; do echo waiting for mydb; sleep 2; done", { network })
      yield* advanceTo(8_000)
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
      expect(r.out.filter((l) => l === "waiting for mydb")).toHaveLength(4)
    })
  )

  it.effect("nc -l holds the port; a second listener in the pod fails with `nc: bind: Address already in use`", () =>
    Effect.gen(function* () {
      const pod = podNetwork()
      const server = yield* start("nc -lk -p 8080", { network: pod.network })
      expect(pod.bound.has(8080)).toBe(true)
      const clash = yield* sh("nc -l -p 8080; echo $?", { network: pod.network })
      expect(clash.err).toEqual(["nc: bind: Address already in use"])
      expect(clash.out).toEqual(["1"])
      expect(
        (yield* sh("nc -z 127.0.0.1 8080 && echo open; nc -z localhost 9090 || echo closed", { network: pod.network }))
          .out
      ).toEqual(["open", "closed"])
      yield* Fiber.interrupt(server.fiber)
      expect(pod.closed).toEqual([8080])
      expect((yield* sh("nc -z localhost 8080 || echo closed", { network: pod.network })).out).toEqual(["closed"])
    })
  )

  it.effect("httpd -f and python3 -m http.server listen and block; httpd without -f returns at once", () =>
    Effect.gen(function* () {
      const pod = podNetwork()
      const httpd = yield* start("httpd -f -p 8080", { network: pod.network })
      const py = yield* start("python3 -m http.server 8000", { network: pod.network })
      yield* advanceTo(3_600_000)
      expect(httpd.fiber.pollUnsafe()).toBeUndefined()
      expect(py.fiber.pollUnsafe()).toBeUndefined()
      expect(py.out).toEqual(["Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ..."])
      expect([...pod.bound].sort()).toEqual([8000, 8080])
      expect((yield* sh("httpd -p 80; echo $?", { network: pod.network })).out).toEqual(["0"])
      expect(pod.bound.has(80)).toBe(true)
      expect(yield* sh("httpd -f -p 8080", { network: pod.network })).toMatchObject({
        code: 1,
        err: ["httpd: bind: Address already in use"]
      })
    })
  )

  it.effect("wget: body on success, busybox errors otherwise", () =>
    Effect.gen(function* () {
      const pod = podNetwork({ names: { web: "10.96.0.20" }, remote: ["10.96.0.20:80"] })
      yield* pod.network.listen(8080)
      const ok = yield* sh(
        "wget -qO- http://localhost:8080/healthz; wget -q -O- web; wget -q --spider http://web/ && echo up",
        {
          network: pod.network
        }
      )
      expect(ok.out).toEqual([
        "<html><body><h1>It works!</h1></body></html>",
        "<html><body><h1>It works!</h1></body></html>",
        "up"
      ])
      const refused = yield* sh("wget -qO- http://localhost:9999/", { network: pod.network })
      expect(refused).toMatchObject({
        code: 1,
        err: ["wget: can't connect to remote host (127.0.0.1): Connection refused"]
      })
      expect(yield* sh("wget -q -O- http://nosuch:8080", { network: pod.network })).toMatchObject({
        code: 1,
        err: ["wget: bad address 'nosuch'"]
      })
      const saved = yield* sh("cd /tmp; wget http://web/index.html 2>/dev/null; cat /tmp/index.html", {
        network: pod.network
      })
      expect(saved.out).toEqual(["<html><body><h1>It works!</h1></body></html>"])
    })
  )

  it.effect("curl: -sf body, exit 7 when refused, 6 for unknown hosts, -w http_code", () =>
    Effect.gen(function* () {
      const pod = podNetwork()
      yield* pod.network.listen(8080)
      const r = yield* sh(
        "curl -sf http://localhost:8080/; curl -s http://127.0.0.1:8080/x; curl -sf http://localhost:9999/; echo $?; curl -s -o /dev/null -w '%{http_code}' localhost:8080; echo; curl -s http://nope/; echo $?",
        { network: pod.network }
      )
      expect(r.out).toEqual([
        "<html><body><h1>It works!</h1></body></html>",
        "<html><body><h1>It works!</h1></body></html>",
        "7",
        "200",
        "6"
      ])
      expect(r.err).toEqual([])
      expect(yield* sh("curl http://localhost:9999/", { network: pod.network })).toMatchObject({
        code: 7,
        err: ["curl: (7) Failed to connect to localhost port 9999 after 0 ms: Couldn't connect to server"]
      })
    })
  )

  it.effect("the runtime may answer HTTP itself (status and body)", () =>
    Effect.gen(function* () {
      const pod = podNetwork({
        http: (_h, _p, path) => (path === "/ready" ? { status: 503, body: "no\n" } : { status: 200, body: "yes\n" })
      })
      yield* pod.network.listen(80)
      const r = yield* sh(
        "curl -sf localhost/ok; curl -sf localhost/ready; echo $?; wget -qO- http://localhost/ready; echo $?",
        {
          network: pod.network
        }
      )
      expect(r.out).toEqual(["yes", "22", "8"])
      expect(r.err).toEqual(["wget: server returned error: HTTP/1.1 503 Service Unavailable"])
    })
  )

  it.effect("ping resolves and answers; unknown hosts are bad addresses", () =>
    Effect.gen(function* () {
      const pod = podNetwork({ names: { db: "10.96.0.4" } })
      const r = yield* start("ping -c 3 db; echo $?; ping -c 1 nope; echo $?", { network: pod.network })
      yield* advanceTo(2_000)
      expect(r.out.at(0)).toBe("PING db (10.96.0.4): 56 data bytes")
      expect(r.out.slice(-2)).toEqual(["0", "1"])
      expect(r.err).toEqual(["ping: bad address 'nope'"])
    })
  )
})
