import type { KubeObject } from "@podlet/core/api/Meta"
import type { ContainerStatus, Pod } from "@podlet/core/api/Pod"
import { formatLabelSelector, printerFor, since } from "@podlet/core/domain/Printers"
import { describe, expect, it } from "vitest"

const NOW = Date.parse("2026-11-28T12:00:00Z")
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString().replace(".000Z", "Z")

const running = (
  name: string,
  ready = true,
  restartCount = 0,
  extra: Partial<ContainerStatus> = {}
): ContainerStatus => ({
  name,
  state: { running: { startedAt: ago(60) } },
  lastState: {},
  ready,
  restartCount,
  image: "nginx",
  imageID: "",
  ...extra
})
const waiting = (name: string, reason: string, restartCount = 0, finishedSecondsAgo?: number): ContainerStatus => ({
  name,
  state: { waiting: { reason } },
  lastState:
    finishedSecondsAgo === undefined
      ? {}
      : { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(finishedSecondsAgo) } },
  ready: false,
  restartCount,
  image: "nginx",
  imageID: ""
})
const terminated = (name: string, exitCode: number, reason?: string): ContainerStatus => ({
  name,
  state: { terminated: { exitCode, ...(reason === undefined ? {} : { reason }) } },
  lastState: {},
  ready: false,
  restartCount: 0,
  image: "nginx",
  imageID: ""
})

const mkPod = (spec: Partial<Pod["spec"]>, status: Pod["status"], meta: Partial<Pod["metadata"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", creationTimestamp: ago(300), ...meta },
  spec: { containers: [{ name: "main", image: "nginx" }], ...spec },
  ...(status === undefined ? {} : { status })
})

describe("pod columns (spec §11, core printPod)", () => {
  it.each<[string, Pod, string, string, string]>([
    ["pending, nothing reported", mkPod({}, { phase: "Pending" }), "0/1", "Pending", "0"],
    ["no status at all", mkPod({}, undefined), "0/1", "", "0"],
    ["running and ready", mkPod({}, { phase: "Running", containerStatuses: [running("main")] }), "1/1", "Running", "0"],
    [
      "creating",
      mkPod({}, { phase: "Pending", containerStatuses: [waiting("main", "ContainerCreating")] }),
      "0/1",
      "ContainerCreating",
      "0"
    ],
    [
      "crash looping, restarts with the last restart's age",
      mkPod({}, { phase: "Running", containerStatuses: [waiting("main", "CrashLoopBackOff", 3, 303)] }),
      "0/1",
      "CrashLoopBackOff",
      "3 (5m3s ago)"
    ],
    [
      "a exits 0, b exits 1: Error (PR #124766)",
      mkPod(
        {
          containers: [
            { name: "a", image: "x" },
            { name: "b", image: "x" }
          ]
        },
        { phase: "Failed", containerStatuses: [terminated("a", 0, "Completed"), terminated("b", 1, "Error")] }
      ),
      "0/2",
      "Error",
      "0"
    ],
    [
      "the alphabetically first container's reason wins",
      mkPod(
        {
          containers: [
            { name: "a", image: "x" },
            { name: "b", image: "x" }
          ]
        },
        { phase: "Pending", containerStatuses: [waiting("a", "ImagePullBackOff"), waiting("b", "ErrImagePull")] }
      ),
      "0/2",
      "ImagePullBackOff",
      "0"
    ],
    [
      "completed with a running ready container and Ready=True",
      mkPod(
        {
          containers: [
            { name: "a", image: "x" },
            { name: "b", image: "x" }
          ]
        },
        {
          phase: "Running",
          conditions: [{ type: "Ready", status: "True" }],
          containerStatuses: [terminated("a", 0, "Completed"), running("b")]
        }
      ),
      "1/2",
      "Running",
      "0"
    ],
    [
      "signal without a reason",
      mkPod(
        {},
        {
          phase: "Failed",
          containerStatuses: [{ ...terminated("main", 137), state: { terminated: { exitCode: 137, signal: 9 } } }]
        }
      ),
      "0/1",
      "Signal:9",
      "0"
    ],
    [
      "init containers still running",
      mkPod(
        {
          initContainers: [
            { name: "i1", image: "x" },
            { name: "i2", image: "x" }
          ]
        },
        {
          phase: "Pending",
          initContainerStatuses: [terminated("i1", 0, "Completed"), running("i2", false)],
          containerStatuses: [waiting("main", "PodInitializing")]
        }
      ),
      "0/1",
      "Init:1/2",
      "0"
    ],
    [
      "an init container crash looping",
      mkPod(
        { initContainers: [{ name: "i1", image: "x" }] },
        { phase: "Pending", initContainerStatuses: [waiting("i1", "CrashLoopBackOff", 2, 20)], containerStatuses: [] }
      ),
      "0/1",
      "Init:CrashLoopBackOff",
      "2 (20s ago)"
    ],
    [
      "a started sidecar counts in READY",
      mkPod(
        { initContainers: [{ name: "side", image: "x", restartPolicy: "Always" }] },
        {
          phase: "Running",
          conditions: [{ type: "Initialized", status: "True" }],
          initContainerStatuses: [running("side", true, 0, { started: true })],
          containerStatuses: [running("main")]
        }
      ),
      "2/2",
      "Running",
      "0"
    ],
    [
      "terminating",
      mkPod({}, { phase: "Running", containerStatuses: [running("main")] }, { deletionTimestamp: ago(-30) }),
      "1/1",
      "Terminating",
      "0"
    ],
    [
      "node lost",
      mkPod({}, { phase: "Running", reason: "NodeLost" }, { deletionTimestamp: ago(0) }),
      "0/1",
      "Unknown",
      "0"
    ],
    [
      "scheduling gated",
      mkPod(
        {},
        { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] }
      ),
      "0/1",
      "SchedulingGated",
      "0"
    ],
    ["evicted", mkPod({}, { phase: "Failed", reason: "Evicted" }), "0/1", "Evicted", "0"]
  ])("%s", (_, pod, ready, status, restarts) => {
    expect(printerFor("pods").cells(pod, NOW).slice(1, 4)).toEqual([ready, status, restarts])
  })

  it("fills the wide columns", () => {
    const pod = mkPod(
      { nodeName: "node-1", readinessGates: [{ conditionType: "a" }, { conditionType: "b" }] },
      {
        phase: "Running",
        podIP: "10.0.0.9",
        podIPs: [{ ip: "10.0.0.9" }],
        nominatedNodeName: "node-2",
        conditions: [{ type: "a", status: "True" }]
      }
    )
    expect(printerFor("pods").cells(pod, NOW).slice(5)).toEqual(["10.0.0.9", "node-1", "node-2", "1/2"])
    const bare = printerFor("pods").cells(mkPod({}, { phase: "Pending" }), NOW)
    expect(bare.slice(5)).toEqual(["<none>", "<none>", "<none>", "<none>"])
  })

  it("prints the whole row, AGE included", () => {
    expect(
      printerFor("pods").cells(mkPod({}, { phase: "Running", containerStatuses: [running("main")] }), NOW)
    ).toEqual(["p", "1/1", "Running", "0", "5m", "<none>", "<none>", "<none>", "<none>"])
  })
})

const cells = (resource: string, object: Record<string, unknown>) =>
  printerFor(resource).cells(
    { metadata: { name: "x", creationTimestamp: ago(3 * 86400) }, ...object } as KubeObject,
    NOW
  )

const columns = (resource: string) => printerFor(resource).columns.map((c) => `${c.name}${c.priority > 0 ? "*" : ""}`)

describe("other printers", () => {
  it("nodes", () => {
    expect(columns("nodes")).toEqual([
      "Name",
      "Status",
      "Roles",
      "Age",
      "Version",
      "Internal-IP*",
      "External-IP*",
      "OS-Image*",
      "Kernel-Version*",
      "Container-Runtime*"
    ])
    const node = {
      metadata: {
        name: "node-1",
        creationTimestamp: ago(3 * 86400),
        labels: { "node-role.kubernetes.io/control-plane": "" }
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        addresses: [{ type: "InternalIP", address: "192.0.2.10" }],
        nodeInfo: {
          kubeletVersion: "v1.32.0",
          osImage: "Probe OS",
          kernelVersion: "6.1.0",
          containerRuntimeVersion: "probe://1.0"
        }
      }
    }
    expect(cells("nodes", node)).toEqual([
      "node-1",
      "Ready,SchedulingDisabled",
      "control-plane",
      "3d",
      "v1.32.0",
      "192.0.2.10",
      "<none>",
      "Probe OS",
      "6.1.0",
      "probe://1.0"
    ])
    expect(cells("nodes", { status: { conditions: [{ type: "Ready", status: "Unknown" }] } }).slice(1, 3)).toEqual([
      "Unknown",
      "<none>"
    ])
    expect(cells("nodes", { status: { conditions: [{ type: "Ready", status: "False" }] } })[1]).toBe("NotReady")
  })

  it("events", () => {
    expect(columns("events")).toEqual([
      "Last Seen",
      "Type",
      "Reason",
      "Object",
      "Subobject*",
      "Source*",
      "Message",
      "First Seen*",
      "Count*",
      "Name*"
    ])
    const event = {
      metadata: { name: "web.6e2073e2547c1d6f" },
      involvedObject: { kind: "Pod", name: "web", fieldPath: "spec.containers{nginx}" },
      reason: "Pulled",
      message: 'Container image "nginx" already present on machine ',
      source: { component: "kubelet", host: "node-1" },
      firstTimestamp: ago(12),
      lastTimestamp: ago(12),
      count: 1,
      type: "Normal"
    }
    expect(cells("events", event)).toEqual([
      "12s",
      "Normal",
      "Pulled",
      "pod/web",
      "spec.containers{nginx}",
      "kubelet, node-1",
      'Container image "nginx" already present on machine',
      "12s",
      1,
      "web.6e2073e2547c1d6f"
    ])
    const micro = {
      involvedObject: { kind: "Node" },
      eventTime: ago(5),
      reportingComponent: "kubelet",
      type: "Warning"
    }
    expect(cells("events", micro).slice(0, 6)).toEqual(["5s", "Warning", "", "node", "", "kubelet"])
  })

  it("services", () => {
    expect(columns("services")).toEqual(["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector*"])
    expect(
      cells("services", {
        spec: {
          type: "NodePort",
          clusterIP: "10.96.0.10",
          ports: [
            { port: 80, nodePort: 30080, protocol: "TCP" },
            { port: 53, protocol: "UDP" }
          ],
          selector: { tier: "front", app: "web" }
        }
      })
    ).toEqual(["x", "NodePort", "10.96.0.10", "<none>", "80:30080/TCP,53/UDP", "3d", "app=web,tier=front"])
    expect(cells("services", { spec: { type: "LoadBalancer", clusterIP: "10.0.0.1" } }).slice(3, 5)).toEqual([
      "<pending>",
      "<none>"
    ])
  })

  it("endpoints", () => {
    const addresses = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"].map((ip) => ({ ip }))
    expect(cells("endpoints", { subsets: [{ addresses, ports: [{ port: 80 }] }] })).toEqual([
      "x",
      "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...",
      "3d"
    ])
    expect(cells("endpoints", {})[1]).toBe("<none>")
  })

  it("namespaces, configmaps and secrets", () => {
    expect(cells("namespaces", { status: { phase: "Active" } })).toEqual(["x", "Active", "3d"])
    expect(cells("configmaps", { data: { a: "1", b: "2" }, binaryData: { c: "" } })).toEqual(["x", 3, "3d"])
    expect(columns("secrets")).toEqual(["Name", "Type", "Data", "Age"])
    expect(cells("secrets", { type: "kubernetes.io/tls", data: { "tls.crt": "", "tls.key": "" } })).toEqual([
      "x",
      "kubernetes.io/tls",
      2,
      "3d"
    ])
  })

  it("replicasets", () => {
    expect(columns("replicasets")).toEqual([
      "Name",
      "Desired",
      "Current",
      "Ready",
      "Age",
      "Containers*",
      "Images*",
      "Selector*"
    ])
    const rs = {
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          spec: {
            containers: [
              { name: "nginx", image: "nginx:1.25" },
              { name: "side", image: "busybox" }
            ]
          }
        }
      },
      status: { replicas: 3, readyReplicas: 2 }
    }
    expect(cells("replicasets", rs)).toEqual(["x", 3, 3, 2, "3d", "nginx,side", "nginx:1.25,busybox", "app=web"])
  })

  it("formats label selectors like metav1.FormatLabelSelector", () => {
    expect(
      formatLabelSelector({
        matchLabels: { b: "2", a: "1" },
        matchExpressions: [
          { key: "env", operator: "In", values: ["prod", "dev"] },
          { key: "x", operator: "NotIn", values: ["y"] },
          { key: "has", operator: "Exists" },
          { key: "legacy", operator: "DoesNotExist" }
        ]
      })
    ).toBe("a=1,b=2,env in (dev,prod),x notin (y),has,!legacy")
    expect(formatLabelSelector({})).toBe("<none>")
  })

  it("ages: <unknown> without a time", () => {
    expect(since(undefined, NOW)).toBe("<unknown>")
    expect(since(ago(45), NOW)).toBe("45s")
  })

  it("other resources get Name and Age", () => {
    expect(columns("leases")).toEqual(["Name", "Holder", "Age"])
    expect(columns("poddisruptionbudgets")).toEqual([
      "Name",
      "Min Available",
      "Max Unavailable",
      "Allowed Disruptions",
      "Age"
    ])
    expect(cells("poddisruptionbudgets", { spec: { minAvailable: 1 }, status: { disruptionsAllowed: 0 } })).toEqual([
      "x",
      "1",
      "N/A",
      0,
      "3d"
    ])
  })
})
