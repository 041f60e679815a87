/**
 * A Node process for `RuntimeProcess.test.ts`: runs a process runtime with one container
 * (`sh -c 'echo "$$ $PWD"; sleep 60 & wait'`), prints that line (the container's pid and working
 * dir), then waits until it is killed. With the argument `direct`, the runtime spawns from this
 * process (no spawn helper: only the watchdog kills the container when this process is SIGKILLed).
 */
import { ContainerRuntime } from "@podlet/core/services/ContainerRuntime"
import { Context, Effect, Layer } from "effect"
import { RuntimeProcess } from "../src/RuntimeProcess.js"

const program = Effect.gen(function* () {
  const context = yield* Layer.build(
    RuntimeProcess.layer({ nodeName: "orphan", spawner: process.argv[2] === "direct" ? "direct" : "helper" })
  )
  const rt = Context.get(context, ContainerRuntime)
  const sb = yield* rt.runPodSandbox({ podUid: "u", podName: "p", namespace: "default", hostname: "p", volumes: [] })
  const id = yield* rt.createContainer(sb.id, {
    name: "app",
    image: "busybox:1.36",
    command: ["sh", "-c", 'echo "$$ $PWD"; sleep 60 & wait'],
    args: [],
    env: [],
    mounts: [],
    ports: [],
    attempt: 0,
    hash: "h"
  })
  yield* rt.startContainer(id)
  while ((yield* rt.logs(id)).length === 0) yield* Effect.sleep(10)
  process.stdout.write(`${(yield* rt.logs(id))[0]!.line}\n`)
  yield* Effect.never
})

Effect.runFork(Effect.scoped(program))
