/**
 * A Node process for `RuntimeLinux.test.ts`: runs a process runtime in Linux isolation mode with one
 * container (`sleep 60`), prints `<pod IP> <OCI container id>`, then waits until it is killed.
 */
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Effect, Layer } from "effect"
import { RuntimeProcess } from "../src/RuntimeProcess.js"

const program = Effect.gen(function* () {
  const context = yield* Layer.build(RuntimeProcess.layer({ nodeName: "orphan", mode: "linux" }))
  const rt = Context.get(context, ContainerRuntime)
  const sb = yield* rt.runPodSandbox({ podUid: "u", podName: "p", namespace: "default", hostname: "p", volumes: [] })
  const id = yield* rt.createContainer(sb.id, {
    name: "app",
    image: "busybox:1.36",
    command: ["sleep", "60"],
    args: [],
    env: [],
    mounts: [],
    ports: [],
    attempt: 0,
    hash: "h"
  })
  yield* rt.startContainer(id)
  process.stdout.write(`${sb.ip} podlet-${id.slice(0, 24)}\n`)
  yield* Effect.never
})

Effect.runFork(Effect.scoped(program))
