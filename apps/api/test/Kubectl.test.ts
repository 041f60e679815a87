/**
 * kubectl end to end against the real Node server: apply (twice, then with a change), create, get
 * pods in every output form, -A, -l, -w, wait, delete, get events/nodes, api-resources, version.
 * Runs where kubectl is on PATH; elsewhere it prints one line saying so.
 */
import { execFile, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse } from "yaml"
import { makeApp } from "../src/app.js"
import { clusterLayer } from "../src/ClusterLayer.js"
import { kubeconfigYaml } from "../src/Kubeconfig.js"
import { listen, type NodeServer } from "../src/NodeServer.js"

const hasKubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0
if (!hasKubectl) console.log("kubectl is not on PATH: the kubectl end-to-end tests do not run here")

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

describe.runIf(hasKubectl)("kubectl against the Node server", { timeout: 60_000 }, () => {
  let runtime: { readonly dispose: () => Promise<void> }
  let server: NodeServer
  let dir: string
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    const rt = ManagedRuntime.make(StoreMemory.layer)
    runtime = rt
    server = await listen(makeApp({ runtime: rt }), "127.0.0.1", 0)
    dir = mkdtempSync(join(tmpdir(), "podlet-kubectl-"))
    writeFileSync(join(dir, "kubeconfig"), kubeconfigYaml(server.url))
    env = { ...process.env, HOME: dir, KUBECONFIG: join(dir, "kubeconfig") }
  })

  afterAll(async () => {
    await server.close()
    await runtime.dispose()
  })

  /** Runs kubectl asynchronously (the server lives in this process). */
  const kubectl = (...args: Array<string>): Promise<Run> =>
    new Promise((resolve) => {
      execFile("kubectl", args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      })
    })

  const ok = async (...args: Array<string>): Promise<string> => {
    const run = await kubectl(...args)
    expect(run.stderr, `kubectl ${args.join(" ")}`).toBe("")
    expect(run.code).toBe(0)
    return run.stdout
  }

  const manifest = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  const podYaml = (name: string, image: string, labels = "app: web") =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels:\n    ${labels}\nspec:\n  containers:\n  - name: nginx\n    image: ${image}\n    ports:\n    - containerPort: 80\n`

  /** Splits kubectl's table output into header words and rows of cells. */
  const table = (text: string) =>
    text
      .trimEnd()
      .split("\n")
      .map((l) => l.trim().split(/\s{2,}/))

  it("reports the server version (the dispatcher then runs kubectl 1.32)", async () => {
    expect(await ok("version")).toContain("Server Version: v1.32.0")
  })

  it("lists the served resources with api-resources", async () => {
    const rows = table(await ok("api-resources"))
    expect(rows[0]).toEqual(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"])
    const byName = new Map(rows.slice(1).map((r) => [r[0], r]))
    expect(byName.get("pods")).toEqual(["pods", "po", "v1", "true", "Pod"])
    expect(byName.get("nodes")).toEqual(["nodes", "no", "v1", "false", "Node"])
    expect(byName.get("replicasets")).toEqual(["replicasets", "rs", "apps/v1", "true", "ReplicaSet"])
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(["events", "namespaces", "services", "configmaps", "secrets"])
    )
  })

  it("applies twice (created, unchanged), then with a change (configured)", async () => {
    const path = manifest("app.yaml", podYaml("app", "nginx:1.25"))
    expect(await ok("apply", "-f", path)).toBe("pod/app created\n")
    expect(await ok("apply", "-f", path)).toBe("pod/app unchanged\n")
    const changed = manifest("app2.yaml", podYaml("app", "nginx:1.26", "app: web\n    version: v2"))
    expect(await ok("apply", "-f", changed)).toBe("pod/app configured\n")
    expect(await ok("get", "pod", "app", "-o", "jsonpath={.spec.containers[0].image} {.metadata.labels.version}")).toBe(
      "nginx:1.26 v2"
    )
  })

  it("creates, and a second create is AlreadyExists", async () => {
    const path = manifest("web.yaml", podYaml("web", "nginx:1.25"))
    expect(await ok("create", "-f", path)).toBe("pod/web created\n")
    const again = await kubectl("create", "-f", path)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("Error from server (AlreadyExists): error when creating")
    expect(again.stderr).toContain('pods "web" already exists')
  })

  it("rejects a typo under the default strict validation, and warns with --validate=warn", async () => {
    const typo = manifest(
      "typo.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: typo\nspec:\n  containers:\n  - name: c\n    image: nginx\n    imagee: x\n"
    )
    const strict = await kubectl("create", "-f", typo)
    expect(strict.code).toBe(1)
    expect(strict.stderr).toContain('strict decoding error: unknown field "spec.containers[0].imagee"')
    const warn = await kubectl("create", "-f", typo, "--validate=warn")
    expect(warn.code).toBe(0)
    expect(warn.stderr).toContain('Warning: unknown field "spec.containers[0].imagee"')
    const forced = await kubectl("delete", "pod", "typo", "--grace-period=0", "--force", "--wait=false")
    expect(forced.stderr).toContain("Warning: Immediate deletion does not wait for confirmation")
    expect(forced.stdout).toBe('pod "typo" force deleted\n')
  })

  it("gets pods: default, -o wide, -o json, -o yaml, -l, -A", async () => {
    expect(await ok("create", "namespace", "other")).toBe("namespace/other created\n")
    await ok("apply", "-f", manifest("o.yaml", podYaml("elsewhere", "busybox", "app: db")), "-n", "other")
    await ok("apply", "-f", manifest("w2.yaml", podYaml("web2", "nginx:1.25", "app: db")))
    const rows = table(await ok("get", "pods"))
    expect(rows[0]).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
    const names = rows.slice(1).map((r) => r[0])
    expect(names).toEqual(expect.arrayContaining(["app", "web", "web2"]))
    const web = rows.find((r) => r[0] === "web")!
    expect(web.slice(1, 4)).toEqual(["0/1", "Pending", "0"])
    expect(web[4]).toMatch(/^\d+s$/)
    const wide = table(await ok("get", "pods", "-o", "wide"))
    expect(wide[0]).toEqual([
      "NAME",
      "READY",
      "STATUS",
      "RESTARTS",
      "AGE",
      "IP",
      "NODE",
      "NOMINATED NODE",
      "READINESS GATES"
    ])
    const list = JSON.parse(await ok("get", "pods", "-o", "json")) as {
      kind: string
      items: Array<{ kind: string; metadata: { name: string } }>
    }
    expect(list.kind).toBe("List")
    expect(list.items.map((i) => i.metadata.name)).toEqual(expect.arrayContaining(["app", "web", "web2"]))
    const yaml = parse(await ok("get", "pod", "web", "-o", "yaml")) as {
      kind: string
      apiVersion: string
      metadata: { uid: string }
    }
    expect(yaml).toMatchObject({ kind: "Pod", apiVersion: "v1" })
    expect(yaml.metadata.uid).toBeTruthy()
    const labelled = table(await ok("get", "pods", "-l", "app=db"))
    expect(labelled.slice(1).map((r) => r[0])).toEqual(["web2"])
    const all = table(await ok("get", "pods", "-A"))
    expect(all[0]).toEqual(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"])
    expect(all.slice(1).map((r) => `${r[0]}/${r[1]}`)).toEqual(
      expect.arrayContaining(["default/web", "other/elsewhere"])
    )
    const sorted = table(await ok("get", "pods", "--sort-by=.metadata.name"))
    expect(sorted.slice(1).map((r) => r[0])).toEqual([...names].sort())
  })

  it("creates configmaps and secrets from literals (protobuf bodies) and prints them", async () => {
    expect(await ok("create", "configmap", "cfg", "--from-literal=a=1", "--from-literal=b=2")).toBe(
      "configmap/cfg created\n"
    )
    expect(await ok("create", "secret", "generic", "pw", "--from-literal=password=s3cret")).toBe("secret/pw created\n")
    expect(await ok("get", "secret", "pw", "-o", "jsonpath={.data.password}")).toBe(btoa("s3cret"))
    const rows = table(await ok("get", "configmaps,secrets"))
    expect(rows[0]).toEqual(["NAME", "DATA", "AGE"])
    expect(rows[1]!.slice(0, 2)).toEqual(["configmap/cfg", "2"])
    expect(rows.find((r) => r[0] === "secret/pw")!.slice(0, 3)).toEqual(["secret/pw", "Opaque", "1"])
  })

  it("streams changes with get pods -w", async () => {
    await ok("apply", "-f", manifest("watched.yaml", podYaml("watched", "nginx", "app: watched")))
    const child = spawn("kubectl", ["get", "pods", "-w", "-l", "app=watched"], { env })
    let out = ""
    /** waits until the output so far matches (whole lines, not a chunk boundary) */
    const saw = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${out}`)), 20_000)
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer)
            child.stdout.off("data", check)
            resolve()
          }
        }
        child.stdout.on("data", check)
        check()
      })
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      out += chunk.toString()
    })
    try {
      await saw(/Pending.*\n/)
      expect(out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nwatched\s+0\/1\s+Pending\s+0\s+\d+s\n/)
      await ok(
        "patch",
        "pod",
        "watched",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"phase":"Running"}}'
      )
      await saw(/Running.*\n/)
      expect(out).toMatch(/\nwatched\s+0\/1\s+Running\s+0\s+\d+s\n/)
    } finally {
      child.kill()
    }
  })

  it("waits for a condition that already holds, without hanging on a quiet watch", async () => {
    await ok("apply", "-f", manifest("ready.yaml", podYaml("ready", "nginx")))
    await ok(
      "patch",
      "pod",
      "ready",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } })
    )
    const started = Date.now()
    expect(await ok("wait", "--for=condition=Ready", "pod/ready", "--timeout=10s")).toBe("pod/ready condition met\n")
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it("deletes and waits for the pod to vanish", async () => {
    await ok("apply", "-f", manifest("doomed.yaml", podYaml("doomed", "nginx")))
    expect(await ok("delete", "pod", "doomed")).toBe('pod "doomed" deleted\n')
    const gone = await kubectl("get", "pod", "doomed")
    expect(gone.code).toBe(1)
    expect(gone.stderr).toBe('Error from server (NotFound): pods "doomed" not found\n')
  })

  it("gets events and nodes", async () => {
    const none = await kubectl("get", "events")
    expect(none).toMatchObject({ code: 0, stdout: "" })
    expect(none.stderr).toBe("No resources found in default namespace.\n")
    const now = new Date().toISOString()
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.1" },
      involvedObject: { kind: "Pod", name: "web", namespace: "default", fieldPath: "spec.containers{nginx}" },
      reason: "Pulled",
      message: 'Container image "nginx:1.25" already present on machine',
      type: "Normal",
      source: { component: "kubelet", host: "node-1" },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1
    }
    await ok("create", "-f", manifest("event.json", JSON.stringify(event)))
    const events = table(await ok("get", "events"))
    expect(events[0]).toEqual(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
    expect(events[1]!.slice(1)).toEqual([
      "Normal",
      "Pulled",
      "pod/web",
      'Container image "nginx:1.25" already present on machine'
    ])
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-1", labels: { "node-role.kubernetes.io/control-plane": "" } },
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        addresses: [{ type: "InternalIP", address: "192.0.2.10" }],
        nodeInfo: {
          kubeletVersion: "v1.32.0",
          osImage: "podlet",
          kernelVersion: "6.1.0",
          containerRuntimeVersion: "podlet://0.1"
        }
      }
    }
    await ok("create", "-f", manifest("node.json", JSON.stringify(node)))
    await ok(
      "patch",
      "node",
      "node-1",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: node.status })
    )
    const nodes = table(await ok("get", "nodes"))
    expect(nodes[0]).toEqual(["NAME", "STATUS", "ROLES", "AGE", "VERSION"])
    expect(nodes[1]!.filter((_, i) => i !== 3)).toEqual(["node-1", "Ready", "control-plane", "v1.32.0"])
  })

  it("explains pods and their fields from the OpenAPI v3 schemas", async () => {
    const pods = await ok("explain", "pods")
    expect(pods).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/)
    expect(pods).toContain("Pod is a collection of containers that can run on a host.")
    expect(pods).toMatch(/^ {2}metadata\t<ObjectMeta>$/m)
    expect(pods).toMatch(/^ {2}spec\t<PodSpec>$/m)
    expect(pods).toMatch(/^ {2}status\t<PodStatus>$/m)

    const containers = await ok("explain", "pods.spec.containers")
    expect(containers).toMatch(/^FIELD: containers <\[\]Container>$/m)
    expect(containers).toContain("A single application container that you want to run within a pod.")
    expect(containers).toMatch(/^ {2}name\t<string> -required-$/m)
    expect(containers).toMatch(/^ {2}image\t<string>$/m)
    expect(containers).toMatch(/^ {2}ports\t<\[\]ContainerPort>$/m)
    expect(containers).toMatch(/^ {2}resources\t<ResourceRequirements>$/m)

    expect(await ok("explain", "pods.spec.containers.resources.limits")).toMatch(
      /^FIELD: limits <map\[string\]Quantity>$/m
    )
    expect(await ok("explain", "replicasets.spec.replicas")).toMatch(/^FIELD: replicas <integer>$/m)
    expect(await ok("explain", "nodes.status.conditions")).toMatch(/^FIELD: conditions <\[\]NodeCondition>$/m)
    const nope = await kubectl("explain", "pods.spec.nope")
    expect(nope.code).toBe(1)
    expect(nope.stderr).toContain('field "nope" does not exist')
  })

  it("still applies under --validate=strict with the schemas served (create, then a patch)", async () => {
    const path = manifest("strict.yaml", podYaml("strict", "nginx:1.25"))
    expect(await ok("apply", "--validate=strict", "-f", path)).toBe("pod/strict created\n")
    const changed = manifest("strict2.yaml", podYaml("strict", "nginx:1.27", "app: strict"))
    expect(await ok("apply", "--validate=strict", "-f", changed)).toBe("pod/strict configured\n")
    expect(await ok("get", "pod", "strict", "-o", "jsonpath={.spec.containers[0].image}")).toBe("nginx:1.27")
  })

  it("reports errors as kubectl users know them", async () => {
    const missing = await kubectl("get", "pod", "nothere")
    expect(missing.stderr).toBe('Error from server (NotFound): pods "nothere" not found\n')
    const badSelector = await kubectl("get", "pods", "--field-selector", "foo=bar")
    expect(badSelector.code).toBe(1)
    expect(badSelector.stderr).toContain("Error from server (BadRequest)")
  })
})

describe.runIf(hasKubectl)(
  "kubectl against a running cluster (kubelets on the simulated runtime)",
  { timeout: 60_000 },
  () => {
    let runtime: { readonly dispose: () => Promise<void> }
    let server: NodeServer
    let dir: string
    let env: NodeJS.ProcessEnv

    beforeAll(async () => {
      const rt = ManagedRuntime.make(clusterLayer({ nodes: ["node-1", "node-2"] }))
      runtime = rt
      server = await listen(makeApp({ runtime: rt }), "127.0.0.1", 0)
      dir = mkdtempSync(join(tmpdir(), "podlet-kubectl-cluster-"))
      writeFileSync(join(dir, "kubeconfig"), kubeconfigYaml(server.url))
      env = { ...process.env, HOME: dir, KUBECONFIG: join(dir, "kubeconfig") }
    })

    afterAll(async () => {
      await server.close()
      await runtime.dispose()
    })

    const kubectl = (...args: Array<string>): Promise<Run> =>
      new Promise((resolve) => {
        execFile("kubectl", args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
        })
      })

    it("runs a pod: wait Ready, get nodes, logs (-c, --tail, --previous), describe with Events, delete", async () => {
      const manifest = join(dir, "talker.yaml")
      writeFileSync(
        manifest,
        [
          "apiVersion: v1",
          "kind: Pod",
          "metadata:",
          "  name: talker",
          "  annotations:",
          "    kubectl.kubernetes.io/default-container: main",
          "spec:",
          "  containers:",
          "  - name: main",
          "    image: busybox",
          '    command: ["sh", "-c", "echo hello; echo world; sleep 3600"]',
          "  - name: side",
          "    image: busybox",
          '    command: ["sh", "-c", "echo side; sleep 3600"]',
          ""
        ].join("\n")
      )
      expect((await kubectl("apply", "-f", manifest)).stdout).toBe("pod/talker created\n")
      expect(await kubectl("wait", "--for=condition=Ready", "pod/talker", "--timeout=30s")).toMatchObject({
        code: 0,
        stdout: "pod/talker condition met\n"
      })
      const nodes = await kubectl("get", "nodes")
      expect(nodes.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\nnode-1\s+Ready\s+<none>.*\nnode-2\s+Ready/)
      const pods = await kubectl("get", "pods", "-o", "wide")
      expect(pods.stdout).toMatch(/\ntalker\s+2\/2\s+Running\s+0\s+\d+s\s+10\.244\.\d+\.\d+\s+node-\d/)
      expect(await kubectl("logs", "talker")).toMatchObject({ code: 0, stdout: "hello\nworld\n" })
      expect((await kubectl("logs", "talker", "-c", "side")).stdout).toBe("side\n")
      expect((await kubectl("logs", "talker", "--tail=1")).stdout).toBe("world\n")
      const previous = await kubectl("logs", "talker", "--previous")
      expect(previous.code).toBe(1)
      expect(previous.stderr).toContain('previous terminated container "main" in pod "talker" not found')
      const described = await kubectl("describe", "pod", "talker")
      expect(described.code).toBe(0)
      expect(described.stdout).toMatch(/Status:\s+Running/)
      expect(described.stdout).toMatch(/Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/)
      expect(described.stdout).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container main/)
      const events = await kubectl("get", "events")
      expect(events.stdout).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/)
      expect(events.stdout).toContain("pod/talker")
      expect(await kubectl("delete", "pod", "talker", "--grace-period=1")).toMatchObject({
        code: 0,
        stdout: 'pod "talker" deleted\n'
      })
      expect((await kubectl("get", "pod", "talker")).stderr).toBe(
        'Error from server (NotFound): pods "talker" not found\n'
      )
    })

    it("scales a ReplicaSet and waits for its pods", async () => {
      const manifest = join(dir, "rs.yaml")
      writeFileSync(
        manifest,
        [
          "apiVersion: apps/v1",
          "kind: ReplicaSet",
          "metadata:",
          "  name: web",
          "spec:",
          "  replicas: 1",
          "  selector:",
          "    matchLabels: {app: rsweb}",
          "  template:",
          "    metadata:",
          "      labels: {app: rsweb}",
          "    spec:",
          "      containers:",
          "      - name: nginx",
          "        image: nginx:1.25",
          ""
        ].join("\n")
      )
      expect((await kubectl("apply", "-f", manifest)).stdout).toBe("replicaset.apps/web created\n")
      expect(await kubectl("scale", "rs", "web", "--replicas=3")).toMatchObject({
        code: 0,
        stdout: "replicaset.apps/web scaled\n"
      })
      const ready = await kubectl("wait", "--for=jsonpath={.status.readyReplicas}=3", "rs/web", "--timeout=30s")
      expect(ready).toMatchObject({ code: 0, stdout: "replicaset.apps/web condition met\n" })
      const pods = await kubectl("get", "pods", "-l", "app=rsweb", "-o", "name")
      expect(pods.stdout.trim().split("\n")).toHaveLength(3)
      const rs = await kubectl("get", "rs", "web")
      expect(rs.stdout).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nweb\s+3\s+3\s+3\s+/)
    })

    it("cordons and drains a node through the Eviction API", async () => {
      const before = await kubectl("get", "pods", "-l", "app=rsweb", "-o", "wide")
      expect(before.stdout).toContain("node-1")
      const drained = await kubectl("drain", "node-1", "--ignore-daemonsets", "--timeout=30s")
      expect(drained.code).toBe(0)
      expect(drained.stdout).toContain("node/node-1 cordoned")
      expect(drained.stdout).toMatch(/pod\/web-\w+ evicted/)
      expect(drained.stdout).toContain("node/node-1 drained")
      const nodes = await kubectl("get", "node", "node-1")
      expect(nodes.stdout).toMatch(/\nnode-1\s+Ready,SchedulingDisabled\s/)
      const onNode = await kubectl("get", "pods", "--field-selector", "spec.nodeName=node-1", "-o", "name")
      expect(onNode.stdout).toBe("")
      expect((await kubectl("uncordon", "node-1")).stdout).toBe("node/node-1 uncordoned\n")
    })
  }
)
