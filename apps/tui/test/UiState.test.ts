import { describe, expect, it } from "vitest"
import {
  initialUiState,
  type KeyPress,
  type ListContext,
  listContext,
  reduceKey,
  runCommand,
  type UiState
} from "../src/ui/UiState.js"

const ctx: ListContext = listContext(["default/a", "default/b", "default/c"], 2, ["app", "sidecar"])
const press = (state: UiState, ...keys: ReadonlyArray<KeyPress | string>) =>
  keys.reduce<{ state: UiState; actions: ReadonlyArray<unknown> }>(
    (acc, key) => {
      const t = reduceKey(acc.state, typeof key === "string" ? { input: key } : key, ctx)
      return { state: t.state, actions: [...acc.actions, ...t.actions] }
    },
    { state, actions: [] }
  )

describe("reduceKey", () => {
  it("moves the selection within the list, clamped at both ends", () => {
    expect(press(initialUiState, { input: "", downArrow: true }).state.selected.pods).toBe(1)
    expect(press(initialUiState, "j", "j", "j", "j").state.selected.pods).toBe(2)
    expect(press(initialUiState, "k").state.selected.pods).toBe(0)
    expect(press(initialUiState, { input: "", pageDown: true }).state.selected.pods).toBe(2)
    expect(press(initialUiState, "G", "g").state.selected.pods).toBe(0)
  })

  it("opens describe and logs for the selected pod and goes back with Esc", () => {
    const detail = press(initialUiState, "j", { input: "", return: true }).state
    expect(detail).toMatchObject({ view: "detail", focus: "default/b" })
    const logs = press(detail, "l").state
    expect(logs).toMatchObject({ view: "logs", focus: "default/b", previous: false })
    expect(press(logs, "p", "c").state).toMatchObject({ previous: true, container: 1 })
    expect(press(logs, { input: "", escape: true }).state.view).toBe("detail")
    expect(press(logs, { input: "", escape: true }, { input: "", escape: true }).state.view).toBe("pods")
  })

  it("filters with / as the user types; Esc clears", () => {
    const typing = press(initialUiState, "/", "w", "e", "b").state
    expect(typing.filter).toBe("web")
    expect(press(typing, { input: "", return: true }).state).toMatchObject({ prompt: undefined, filter: "web" })
    expect(press(typing, { input: "", escape: true }).state.filter).toBe("")
  })

  it("asks before deleting and deletes only on y", () => {
    const asked = press(initialUiState, { input: "d", ctrl: true })
    expect(asked.state.prompt).toMatchObject({ _tag: "Confirm", message: "Delete pod default/a? (y/n)" })
    expect(press(asked.state, "y").actions).toEqual([{ _tag: "Delete", kind: "Pod", key: "default/a" }])
    expect(press(asked.state, "n")).toMatchObject({ actions: [], state: { message: "cancelled" } })
  })

  it("kills a container with the exit code typed, and rejects a non-number", () => {
    const asked = press(initialUiState, "x").state
    expect(asked.prompt).toMatchObject({ _tag: "Input", build: "kill", container: "app" })
    expect(press(asked, "4", "2", { input: "", return: true }).actions).toEqual([
      { _tag: "Kill", key: "default/a", container: "app", exitCode: 42 }
    ])
    expect(press(asked, "z", { input: "", return: true })).toMatchObject({
      actions: [],
      state: { message: "not a number: z" }
    })
  })

  it("runs node actions and time controls", () => {
    const nodes = press(initialUiState, "3").state
    expect(press(nodes, "c").actions).toEqual([{ _tag: "Cordon", node: "a" }])
    expect(press(nodes, "P").actions).toEqual([{ _tag: "NodeFault", node: "a", fault: "partition" }])
    expect(press(nodes, "r", "y").actions).toEqual([{ _tag: "Drain", node: "a" }])
    expect(press(initialUiState, " ", "+", "-", "O").actions).toEqual([
      { _tag: "TogglePause" },
      { _tag: "Speed", direction: 1 },
      { _tag: "Speed", direction: -1 },
      { _tag: "RegistryOutage" }
    ])
  })

  it("scales a ReplicaSet", () => {
    const rs = press(initialUiState, "4", "s", "5", { input: "", return: true })
    expect(rs.actions).toEqual([{ _tag: "Scale", key: "default/a", replicas: 5 }])
  })
})

describe("runCommand", () => {
  it.each([
    ["pods", { view: "pods" }],
    ["no", { view: "nodes" }],
    ["events", { view: "events" }],
    ["rs", { view: "rs" }],
    ["svc", { view: "svc" }],
    ["ns kube-system", { namespace: "kube-system" }],
    ["ns", { namespace: "all" }],
    ["bogus", { message: "unknown command: bogus" }]
  ])(":%s", (line, expected) => {
    expect(runCommand(initialUiState, line).state).toMatchObject(expected)
  })

  it("quits and applies", () => {
    expect(runCommand(initialUiState, "q").actions).toEqual([{ _tag: "Quit" }])
    expect(runCommand(initialUiState, "apply examples/06-crashloop.yaml").actions).toEqual([
      { _tag: "Apply", path: "examples/06-crashloop.yaml" }
    ])
  })
})
