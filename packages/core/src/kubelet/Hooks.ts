/**
 * Container lifecycle hooks (spec pod-lifecycle §13; K-ctr `runner.Run`, `executePreStopHook`):
 * exec in the container, httpGet against the pod's port space, sleep. A hook's outcome is a value:
 * `undefined` on success, else the error text for `FailedPostStartHook` / `FailedPreStopHook`.
 */
import { Effect } from "effect"
import type { Container, LifecycleHandler, Pod } from "../api/Pod.js"
import type { KubeletContext } from "./KubeletContext.js"
import { memoryOf } from "./KubeletContext.js"
import { runtimeId } from "./PodRuntime.js"
import { resolvePort } from "./Prober.js"

/** Runs one hook handler; resolves to the error text, or undefined when it succeeded. */
export const runHook = (
  ctx: KubeletContext,
  pod: Pod,
  container: Container,
  containerId: string,
  handler: LifecycleHandler,
  timeoutSeconds: number
): Effect.Effect<string | undefined> =>
  Effect.gen(function* () {
    if (handler.exec !== undefined) {
      const argv = handler.exec.command ?? []
      const result = yield* ctx.runtime.exec(runtimeId(containerId), argv, timeoutSeconds)
      if (result.exitCode === 0) return undefined
      return `command '${argv.join(" ")}' exited with ${result.exitCode}: ${result.output}`
    }
    if (handler.httpGet !== undefined) {
      const uid = pod.metadata.uid ?? ""
      const port = resolvePort(container, handler.httpGet.port)
      const path = handler.httpGet.path ?? "/"
      const host = handler.httpGet.host ?? memoryOf(ctx, uid).podIP ?? ""
      const sandboxId = ctx.sandboxes.get(uid) ?? ""
      const ok = port !== undefined && (yield* ctx.runtime.probePort(sandboxId, port, "http", path))
      if (ok) return undefined
      return `Get "http://${host}:${port ?? handler.httpGet.port}${path}": dial tcp ${host}:${port ?? handler.httpGet.port}: connect: connection refused`
    }
    if (handler.sleep !== undefined) {
      yield* Effect.sleep(handler.sleep.seconds * 1000)
      return undefined
    }
    if (handler.tcpSocket !== undefined) return "tcpSocket is not supported for lifecycle hooks"
    return "missing lifecycle handler"
  })
