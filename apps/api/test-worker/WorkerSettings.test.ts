/** The Worker's settings from its vars: defaults, each choice, and a message for each bad value. */
import { describe, expect, it } from "vitest"
import { parseWorkerDevFlags, parseWorkerSettings, type WorkerVars } from "../src/worker/WorkerSettings.js"

describe("parseWorkerSettings", () => {
  const cases: ReadonlyArray<[string, WorkerVars, ReturnType<typeof parseWorkerSettings>]> = [
    ["defaults", {}, { clock: "real", nodes: ["node-1", "node-2", "node-3"], nodeLifecycle: "modern" }],
    [
      "virtual clock, one node, legacy lifecycle",
      { PODLET_CLOCK: "virtual", PODLET_NODES: "1", PODLET_NODE_LIFECYCLE: "legacy" },
      { clock: "virtual", nodes: ["node-1"], nodeLifecycle: "legacy" }
    ],
    ["no nodes", { PODLET_NODES: "0" }, { clock: "real", nodes: [], nodeLifecycle: "modern" }],
    ["unknown clock", { PODLET_CLOCK: "fast" }, 'PODLET_CLOCK: must be "real" or "virtual", not fast'],
    ["negative nodes", { PODLET_NODES: "-1" }, "PODLET_NODES: must be a whole number from 0 to 100, not -1"],
    ["fractional nodes", { PODLET_NODES: "1.5" }, "PODLET_NODES: must be a whole number from 0 to 100, not 1.5"],
    ["too many nodes", { PODLET_NODES: "101" }, "PODLET_NODES: must be a whole number from 0 to 100, not 101"],
    [
      "unknown lifecycle",
      { PODLET_NODE_LIFECYCLE: "old" },
      'PODLET_NODE_LIFECYCLE: must be "modern" or "legacy", not old'
    ]
  ]
  it.each(cases)("%s", (_name, vars, expected) => {
    expect(parseWorkerSettings(vars)).toEqual(expected)
  })
})

describe("parseWorkerDevFlags", () => {
  const cases: ReadonlyArray<[string, ReadonlyArray<string>, ReturnType<typeof parseWorkerDevFlags>]> = [
    ["no flags", [], { port: 8787, vars: {} }],
    [
      "every flag",
      ["--port", "6443", "--clock=virtual", "--nodes", "1", "--node-lifecycle", "legacy"],
      { port: 6443, vars: { PODLET_CLOCK: "virtual", PODLET_NODES: "1", PODLET_NODE_LIFECYCLE: "legacy" } }
    ],
    ["unknown flag", ["--store", "memory"], "unknown flag --store (--port, --clock, --nodes, --node-lifecycle)"],
    ["missing value", ["--port"], "--port needs a value"],
    ["bad port", ["--port", "70000"], "--port: must be a port number from 1 to 65535, not 70000"],
    ["bad clock", ["--clock", "fast"], 'PODLET_CLOCK: must be "real" or "virtual", not fast']
  ]
  it.each(cases)("%s", (_name, argv, expected) => {
    expect(parseWorkerDevFlags(argv)).toEqual(expected)
  })
})
