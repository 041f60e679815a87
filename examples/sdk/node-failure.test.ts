// A node fails and the ReplicaSet recreates the pod elsewhere: the node stops its heartbeats, goes
// NotReady (Unknown) after 40 s, its pods are evicted 300 s later and replaced on the other node.
import { createCluster, type Pod } from "@podlet/sdk"
import { expect, test } from "vitest"

test("a node fails and the ReplicaSet recreates the pod elsewhere", async () => {
  const cluster = await createCluster({ nodes: 2 })
  try {
    await cluster.apply(`
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: nginx, image: "nginx:1.27" }]
`)
    const [first] = await cluster.pods.list({ labelSelector: "app=web" })
    await cluster.waitFor(first!.metadata.name!, { phase: "Running" })
    const failed = first!.spec.nodeName!

    await cluster.faults.stopHeartbeat(failed)
    const runningElsewhere = (pods: ReadonlyArray<Pod>) =>
      pods.some((p) => p.spec.nodeName !== failed && p.status?.phase === "Running")
    const start = (await cluster.clock.now()).getTime()
    while (!runningElsewhere(await cluster.pods.list({ labelSelector: "app=web" }))) {
      await cluster.clock.advance("10s")
      expect((await cluster.clock.now()).getTime() - start).toBeLessThan(10 * 60_000)
    }
    const ready = (await cluster.nodes.get(failed)).status?.conditions?.find((c) => c.type === "Ready")
    expect(ready?.status).toBe("Unknown")
    expect((await cluster.clock.now()).getTime() - start).toBeGreaterThanOrEqual(300_000)
  } finally {
    await cluster.close()
  }
})
