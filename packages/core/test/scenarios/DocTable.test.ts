// Spec pod-lifecycle §12: the documentation's "Example states" rows 1–4 (with 3b) for each restart policy,
// run on the engine as one table.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Container, RestartPolicy } from "../../src/api/Pod.js"
import { at, cluster, cs, getPod, pod, sh } from "./support.js"

interface Row {
  readonly row: string
  readonly containers: ReadonlyArray<Container>
  /** when to look (seconds) */
  readonly at: number
  /** the container whose restart the row is about */
  readonly watch: string
  readonly expected: Readonly<Record<RestartPolicy, { readonly restarted: boolean; readonly phase: string }>>
}

const restartRunning = { restarted: true, phase: "Running" }
const oom = sh("app", "sleep 10; stress --vm 1 --vm-bytes 128M --vm-hang 0", {
  resources: { limits: { memory: "64Mi" } }
})

const table: ReadonlyArray<Row> = [
  {
    row: "1 one container exits with success",
    containers: [sh("app", "sleep 10")],
    at: 10,
    watch: "app",
    expected: {
      Always: restartRunning,
      OnFailure: { restarted: false, phase: "Succeeded" },
      Never: { restarted: false, phase: "Succeeded" }
    }
  },
  {
    row: "2 one container exits with failure",
    containers: [sh("app", "sleep 10; exit 1")],
    at: 10,
    watch: "app",
    expected: { Always: restartRunning, OnFailure: restartRunning, Never: { restarted: false, phase: "Failed" } }
  },
  {
    row: "3 two containers, container 1 exits with failure",
    containers: [sh("c1", "sleep 10; exit 1"), sh("c2", "sleep 3600")],
    at: 10,
    watch: "c1",
    expected: { Always: restartRunning, OnFailure: restartRunning, Never: { restarted: false, phase: "Running" } }
  },
  {
    row: "3b container 1 not running, container 2 exits",
    containers: [sh("c1", "sleep 10; exit 1"), sh("c2", "sleep 12; exit 1")],
    at: 12,
    watch: "c2",
    expected: { Always: restartRunning, OnFailure: restartRunning, Never: { restarted: false, phase: "Failed" } }
  },
  {
    row: "4 one container runs out of memory",
    containers: [oom],
    at: 10,
    watch: "app",
    expected: { Always: restartRunning, OnFailure: restartRunning, Never: { restarted: false, phase: "Failed" } }
  }
]

describe("§12 documentation table of example states", () => {
  it.effect("rows 1–4 under Always, OnFailure and Never", () =>
    Effect.gen(function* () {
      for (const row of table) {
        for (const policy of ["Always", "OnFailure", "Never"] as const) {
          const observed = yield* Effect.scoped(
            Effect.gen(function* () {
              const c = yield* cluster()
              yield* c.apply(pod("p", { restartPolicy: policy, containers: row.containers }))
              yield* at(c, row.at)
              const p = yield* getPod(c)
              return { restarted: cs(p, row.watch).restartCount > 0, phase: p.status?.phase ?? "" }
            })
          )
          expect(observed, `row ${row.row}, ${policy}`).toEqual(row.expected[policy])
        }
      }
    })
  )
})
