import { describe, expect, it } from "@effect/vitest"
import type { Node } from "@podlet/core/api/Objects"
import { makeCluster } from "@podlet/core/Cluster"
import { Effect } from "effect"
import { RuntimeProcess } from "../src/RuntimeProcess.js"

describe("the process runtime's node", () => {
  it.effect("says its runtime mode in status.nodeInfo, over the simulated defaults", () =>
    Effect.gen(function* () {
      const options = RuntimeProcess.clusterOptions({ mode: "host", nodeName: "this-machine" })
      const cluster = yield* makeCluster(options)
      const node = yield* cluster.store.get<Node>("nodes", "", "this-machine")
      expect(node.status?.nodeInfo?.osImage).toBe("podlet process runtime (host mode)")
      expect(node.status?.nodeInfo?.containerRuntimeVersion).toBe("podlet-process://host")
      // the rest of nodeInfo keeps the defaults kubectl shows
      expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\./)
      expect(node.status?.nodeInfo?.operatingSystem).toBe("linux")
    }).pipe(Effect.scoped)
  )
})
