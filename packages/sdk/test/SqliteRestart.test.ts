// An embedded cluster on SQLite comes back after a restart as a node reboot would: objects kept.
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { createCluster } from "../src/index.js"

describe("createCluster on SQLite", () => {
  it("reopens the same database: nodes and pods are still there", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "podlet-restart-")), "cluster.db")
    const first = await createCluster({ store: { sqlite: path }, nodes: 1 })
    await first.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "kept" },
      spec: { containers: [{ name: "app", image: "busybox", command: ["sh", "-c", "sleep 3600"] }] }
    } as never)
    await first.waitFor("kept", { phase: "Running" }, { timeout: "30s" })
    await first.close()

    const second = await createCluster({ store: { sqlite: path }, nodes: 1 })
    try {
      expect((await second.nodes.list()).map((n) => n.metadata.name)).toEqual(["node-1"])
      expect((await second.pods.get("kept")).metadata.name).toBe("kept")
    } finally {
      await second.close()
    }
  })
})
