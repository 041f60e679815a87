// A vitest test of a small controller against podlet: the controller watches ConfigMaps labelled
// `podlet.example/greeter` and keeps one pod per ConfigMap that prints its greeting.
import { type Cluster, type ConfigMap, createCluster, NotFoundError } from "@podlet/sdk"
import { afterEach, beforeEach, expect, test } from "vitest"

/** The controller under test: reconcile one ConfigMap into its pod. */
const reconcile = async (cluster: Cluster, map: ConfigMap, deleted: boolean) => {
  const name = `greeter-${map.metadata.name}`
  if (deleted) {
    await cluster.pods.delete(name, { gracePeriodSeconds: 0 }).catch((e: unknown) => {
      if (!(e instanceof NotFoundError)) throw e
    })
    return
  }
  await cluster.apply({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { "podlet.example/owner": map.metadata.name ?? "" } },
    spec: {
      containers: [
        { name: "greeter", image: "busybox:1.36", command: ["sh", "-c", `echo ${map.data?.["greeting"]}; sleep 3600`] }
      ]
    }
  } as never)
}

/** Runs the controller until stopped. */
const startController = (cluster: Cluster) => {
  const events = cluster.watch<ConfigMap>("ConfigMap", { labelSelector: "podlet.example/greeter" })
  const done = (async () => {
    for await (const event of events) await reconcile(cluster, event.object, event.type === "DELETED")
  })()
  return async () => {
    await events.return?.()
    await done
  }
}

let cluster: Cluster
let stop: () => Promise<void>
beforeEach(async () => {
  cluster = await createCluster()
  stop = startController(cluster)
})
afterEach(async () => {
  await stop()
  await cluster.close()
})

const greeter = (name: string, greeting: string) =>
  ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { "podlet.example/greeter": "true" } },
    data: { greeting }
  }) as ConfigMap

test("a greeter ConfigMap gets a running pod that prints its greeting", async () => {
  await cluster.apply(greeter("hello", "hello-world"))
  await cluster.waitFor("greeter-hello", { status: "Running" }, { timeout: "30s" })
  expect((await cluster.pods.logs("greeter-hello")).map((l) => l.line)).toEqual(["hello-world"])
})

test("deleting the ConfigMap deletes its pod; unlabelled ConfigMaps are ignored", async () => {
  await cluster.apply(greeter("bye", "bye"))
  await cluster.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "other" }, data: {} } as ConfigMap)
  await cluster.waitFor("greeter-bye", { phase: "Running" }, { timeout: "30s" })
  await cluster.delete("ConfigMap", "bye")
  // the controller reacts asynchronously: give it up to 30 s of cluster time
  for (let i = 0; i < 30 && (await cluster.pods.list()).length > 0; i++) await cluster.clock.advance("1s")
  expect((await cluster.pods.list()).map((p) => p.metadata.name)).toEqual([])
})
