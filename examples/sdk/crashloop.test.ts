// Assert that a pod reaches CrashLoopBackOff after 3 restarts within 70 virtual seconds.
import { createCluster } from "@podlet/sdk"
import { expect, test } from "vitest"

test("my pod reaches CrashLoopBackOff after 3 restarts within 70 virtual seconds", async () => {
  const cluster = await createCluster()
  try {
    await cluster.apply(`
apiVersion: v1
kind: Pod
metadata: { name: crashy }
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "echo starting; exit 1"]
`)
    const pod = await cluster.waitFor(
      "crashy",
      (p) =>
        p.status?.containerStatuses?.[0]?.restartCount === 3 &&
        p.status.containerStatuses[0].state.waiting?.reason === "CrashLoopBackOff",
      { timeout: "70s" }
    )
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1)
    expect((await cluster.pods.status("crashy")).status).toBe("CrashLoopBackOff")
    expect((await cluster.pods.logs("crashy", { previous: true })).map((l) => l.line)).toEqual(["starting"])
    expect((await cluster.events("crashy")).map((e) => e.reason)).toContain("BackOff")
  } finally {
    await cluster.close()
  }
})
