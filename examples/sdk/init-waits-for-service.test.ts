// An init container waits for a Service: the pod shows Init:0/1 until the Service exists, then runs.
import { createCluster } from "@podlet/sdk"
import { expect, test } from "vitest"

test("an init container waits for a Service", async () => {
  const cluster = await createCluster()
  try {
    await cluster.apply(`
apiVersion: v1
kind: Pod
metadata: { name: myapp }
spec:
  initContainers:
    - name: wait-for-mydb
      image: busybox:1.36
      command: ["sh", "-c", "until nslookup mydb; do sleep 2; done"]
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "echo The app is running! && sleep 3600"]
`)
    await cluster.clock.advance("30s")
    expect(await cluster.pods.status("myapp")).toMatchObject({ ready: "0/1", status: "Init:0/1" })

    await cluster.apply({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "mydb" },
      spec: { selector: { app: "mydb" }, ports: [{ port: 5432 }] }
    } as never)
    await cluster.waitFor("myapp", { condition: "Ready" }, { timeout: "10s" })
    expect((await cluster.pods.logs("myapp", { container: "app" })).map((l) => l.line)).toEqual(["The app is running!"])
  } finally {
    await cluster.close()
  }
})
