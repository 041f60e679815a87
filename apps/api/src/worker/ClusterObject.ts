/**
 * The Durable Object that holds the cluster: core's cluster over an ObjectStore on the object's
 * SQLite storage, served by the same Hono app as on Node. Built once per instance (inputs wait
 * until it is ready), so an evicted or restarted object comes back as a node reboot would: objects
 * intact, kubelets re-syncing their pods. On the real clock, timers keep the object's alarm at the
 * next deadline (`AlarmClock`); on the virtual clock, time moves only through
 * `POST /podlet/v1/clock/advance`, and the clock's time is saved so it resumes where it stopped.
 */

import { DurableObject } from "cloudflare:workers"
import { ObjectStoreLive } from "@podlet/core/layers/ObjectStoreLive"
import { VirtualClock } from "@podlet/core/layers/VirtualClock"
import { Clock, Context, Effect, Layer, ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { makeApp } from "../app.js"
import { clusterLayer } from "../ClusterLayer.js"
import { PodletCluster } from "../PodletApp.js"
import { jsonResponse } from "../Respond.js"
import { internalErrorStatus } from "../StatusResponse.js"
import { type AlarmClock, makeAlarmClock } from "./AlarmClock.js"
import { BackendDurableObject } from "./BackendDurableObject.js"
import { parseWorkerSettings, type WorkerVars } from "./WorkerSettings.js"

/** The name of the one cluster object the Worker sends every request to. */
export const clusterObjectName = "podlet"

/** The object's bindings: the cluster settings (see `WorkerSettings`). */
export type ClusterObjectEnv = WorkerVars

/** A started cluster: its app, and the clock the object drives. */
interface Serving {
  readonly app: Hono
  readonly alarmClock: AlarmClock | undefined
  /** saves the virtual clock's time when it moved (a no-op on the real clock) */
  readonly saveClock: () => void
}

const clockTable = "CREATE TABLE IF NOT EXISTS podlet_clock (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"

const savedVirtualNow = (sql: SqlStorage): number | undefined => {
  sql.exec(clockTable)
  return sql.exec<{ value: number }>("SELECT value FROM podlet_clock WHERE name = 'virtualNow'").toArray()[0]?.value
}

/** Builds the cluster on the object's storage and the app over it. */
const start = async (ctx: DurableObjectState, vars: WorkerVars): Promise<Serving> => {
  const settings = parseWorkerSettings(vars)
  if (typeof settings === "string") throw new Error(settings)
  const { sql } = ctx.storage
  const store = ObjectStoreLive.layer.pipe(Layer.provide(BackendDurableObject.layer(ctx.storage)))
  const cluster = clusterLayer({ store, nodes: settings.nodes, nodeLifecycle: settings.nodeLifecycle }, settings.clock)
  let alarmClock: AlarmClock | undefined
  let clockLayer: Layer.Layer<never>
  if (settings.clock === "virtual") {
    const now = savedVirtualNow(sql)
    clockLayer = VirtualClock.layer(now === undefined ? {} : { start: now })
  } else {
    const base = Effect.runSync(Clock.clockWith(Effect.succeed))
    alarmClock = makeAlarmClock(base, (at) => {
      ctx.storage.setAlarm(at).catch((error: unknown) => console.error("podlet worker: setAlarm failed", error))
    })
    clockLayer = Layer.succeedContext(Context.make(Clock.Clock, alarmClock as Clock.Clock))
  }
  const runtime = ManagedRuntime.make(cluster.pipe(Layer.provideMerge(clockLayer)))
  const podlet = await runtime.runPromise(Effect.service(PodletCluster))
  let saved = settings.clock === "virtual" ? savedVirtualNow(sql) : undefined
  const saveClock = () => {
    if (settings.clock !== "virtual") return
    const now = runtime.runSync(Clock.currentTimeMillis)
    if (now === saved) return
    sql.exec("INSERT OR REPLACE INTO podlet_clock (name, value) VALUES ('virtualNow', ?)", now)
    saved = now
  }
  saveClock()
  return { app: makeApp({ runtime, podlet }), alarmClock, saveClock }
}

/** The cluster's Durable Object (SQLite storage; see wrangler.jsonc). */
export class ClusterObject extends DurableObject<ClusterObjectEnv> {
  private readonly serving: Promise<Serving | Error>

  constructor(ctx: DurableObjectState, env: ClusterObjectEnv) {
    super(ctx, env)
    this.serving = ctx.blockConcurrencyWhile(() =>
      start(ctx, env).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
    )
  }

  override async fetch(request: Request): Promise<Response> {
    const serving = await this.serving
    if (serving instanceof Error) {
      return jsonResponse(internalErrorStatus(`the cluster did not start: ${serving.message}`), 500)
    }
    const response = await serving.app.fetch(request)
    serving.saveClock()
    return response
  }

  override async alarm(): Promise<void> {
    const serving = await this.serving
    if (!(serving instanceof Error)) serving.alarmClock?.fireDue()
  }
}
