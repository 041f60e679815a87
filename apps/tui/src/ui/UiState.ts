/**
 * The dashboard's UI state and the pure reducer that maps a keypress to the next state and the
 * actions to run (k9s's conventions). No React and no engine here: `App.tsx` draws the state and
 * runs the actions against the DashboardSource.
 */

export type View = "pods" | "detail" | "logs" | "events" | "nodes" | "rs" | "svc" | "help"

export const listViews: ReadonlyArray<View> = ["pods", "events", "nodes", "rs", "svc"]

/** What the user asked for that touches the cluster; `App` runs it and reports the outcome. */
export type Action =
  | { readonly _tag: "Delete"; readonly kind: string; readonly key: string }
  | { readonly _tag: "Kill"; readonly key: string; readonly container: string | undefined; readonly exitCode: number }
  | { readonly _tag: "Oom"; readonly key: string; readonly container: string | undefined }
  | { readonly _tag: "Apply"; readonly path: string }
  | { readonly _tag: "Cordon"; readonly node: string }
  | { readonly _tag: "Drain"; readonly node: string }
  | {
      readonly _tag: "NodeFault"
      readonly node: string
      readonly fault: "partition" | "resume" | "disk-failure" | "memory-pressure"
    }
  | { readonly _tag: "Scale"; readonly key: string; readonly replicas: number }
  | { readonly _tag: "RegistryOutage" }
  | { readonly _tag: "TogglePause" }
  | { readonly _tag: "Speed"; readonly direction: 1 | -1 }
  | { readonly _tag: "Quit" }

export type Prompt =
  | { readonly _tag: "Filter" }
  | { readonly _tag: "Command" }
  | { readonly _tag: "Confirm"; readonly message: string; readonly action: Action }
  | {
      readonly _tag: "Input"
      readonly label: string
      readonly build: "kill" | "scale" | "apply"
      readonly key: string
      readonly container?: string | undefined
    }

export interface UiState {
  readonly view: View
  /** the list view that `Esc` returns to from detail/logs/help */
  readonly back: View
  readonly selected: Readonly<Record<string, number>>
  readonly filter: string
  readonly namespace: string
  readonly prompt: Prompt | undefined
  readonly input: string
  /** `namespace/name` of the pod the detail and logs views show */
  readonly focus: string | undefined
  /** container index for the logs view */
  readonly container: number
  readonly previous: boolean
  readonly follow: boolean
  readonly message: string | undefined
}

export const initialUiState: UiState = {
  view: "pods",
  back: "pods",
  selected: {},
  filter: "",
  namespace: "all",
  prompt: undefined,
  input: "",
  focus: undefined,
  container: 0,
  previous: false,
  follow: true,
  message: undefined
}

/** A keypress as Ink reports it, reduced to what the reducer reads. */
export interface KeyPress {
  readonly input: string
  readonly upArrow?: boolean
  readonly downArrow?: boolean
  readonly pageUp?: boolean
  readonly pageDown?: boolean
  readonly return?: boolean
  readonly escape?: boolean
  readonly backspace?: boolean
  readonly delete?: boolean
  readonly ctrl?: boolean
  readonly tab?: boolean
}

/**
 * What the reducer needs to know about the current list: how many rows, the key of a row (read
 * only for the selected one: a keypress costs no pass over a long list), the selected pod's containers.
 */
export interface ListContext {
  readonly total: number
  readonly keyAt: (index: number) => string | undefined
  readonly pageSize: number
  /** container names of the focused or selected pod */
  readonly containers: ReadonlyArray<string>
}

/** A ListContext over an array of row keys. */
export const listContext = (
  keys: ReadonlyArray<string>,
  pageSize: number,
  containers: ReadonlyArray<string>
): ListContext => ({ total: keys.length, keyAt: (index) => keys[index], pageSize, containers })

export interface Transition {
  readonly state: UiState
  readonly actions: ReadonlyArray<Action>
}

const stay = (state: UiState, actions: ReadonlyArray<Action> = []): Transition => ({ state, actions })

const selectedIndex = (state: UiState, view: View, total: number): number =>
  Math.min(Math.max(0, state.selected[view] ?? 0), Math.max(0, total - 1))

const move = (state: UiState, ctx: ListContext, delta: number): UiState => {
  const total = ctx.total
  const next = Math.min(Math.max(0, selectedIndex(state, state.view, total) + delta), Math.max(0, total - 1))
  return { ...state, selected: { ...state.selected, [state.view]: next } }
}

/** The key of the selected row in the current list view. */
export const selectedKey = (state: UiState, ctx: ListContext): string | undefined =>
  ctx.keyAt(selectedIndex(state, state.view, ctx.total))

const commands: Readonly<Record<string, View>> = {
  pods: "pods",
  po: "pods",
  pod: "pods",
  nodes: "nodes",
  no: "nodes",
  node: "nodes",
  events: "events",
  ev: "events",
  rs: "rs",
  replicasets: "rs",
  svc: "svc",
  services: "svc",
  help: "help"
}

/** Runs a `:` command line: a view name, `ns NAME` (or `ns all`), `apply PATH`, `q`. */
export const runCommand = (state: UiState, line: string): Transition => {
  const [word = "", ...rest] = line.trim().split(/\s+/)
  const arg = rest.join(" ")
  if (word === "q" || word === "quit") return stay(state, [{ _tag: "Quit" }])
  if (word === "ns" || word === "namespace") {
    return stay({ ...state, namespace: arg === "" ? "all" : arg, message: `namespace: ${arg === "" ? "all" : arg}` })
  }
  if (word === "apply" && arg !== "") return stay(state, [{ _tag: "Apply", path: arg }])
  const view = commands[word]
  if (view !== undefined) return stay({ ...state, view, back: view === "help" ? state.view : view, filter: "" })
  return stay({ ...state, message: `unknown command: ${line.trim()}` })
}

const promptKey = (state: UiState, prompt: Prompt, key: KeyPress): Transition => {
  if (key.escape)
    return stay({ ...state, prompt: undefined, input: "", filter: prompt._tag === "Filter" ? "" : state.filter })
  if (prompt._tag === "Confirm") {
    if (key.input === "y" || key.input === "Y") return stay({ ...state, prompt: undefined }, [prompt.action])
    return stay({ ...state, prompt: undefined, message: "cancelled" })
  }
  if (key.return) {
    const line = state.input
    const cleared = { ...state, prompt: undefined, input: "" }
    if (prompt._tag === "Filter") return stay({ ...cleared, filter: line })
    if (prompt._tag === "Command") return runCommand(cleared, line)
    if (prompt.build === "apply") return stay(cleared, line.trim() === "" ? [] : [{ _tag: "Apply", path: line.trim() }])
    const n = Number(line.trim())
    if (line.trim() === "" || !Number.isInteger(n) || n < 0)
      return stay({ ...cleared, message: `not a number: ${line}` })
    if (prompt.build === "kill") {
      return stay(cleared, [{ _tag: "Kill", key: prompt.key, container: prompt.container, exitCode: n }])
    }
    return stay(cleared, [{ _tag: "Scale", key: prompt.key, replicas: n }])
  }
  if (key.backspace || key.delete) {
    const input = state.input.slice(0, -1)
    return stay({ ...state, input, filter: prompt._tag === "Filter" ? input : state.filter })
  }
  if (key.ctrl || key.upArrow || key.downArrow || key.tab) return stay(state)
  const input = state.input + key.input
  return stay({ ...state, input, filter: prompt._tag === "Filter" ? input : state.filter })
}

const kindOf: Readonly<Partial<Record<View, string>>> = { pods: "Pod", rs: "ReplicaSet", svc: "Service" }

/** The next state and actions after one keypress. */
export const reduceKey = (state: UiState, key: KeyPress, ctx: ListContext): Transition => {
  const base = state.message === undefined ? state : { ...state, message: undefined }
  if (base.prompt !== undefined) return promptKey(base, base.prompt, key)
  const s = base
  const selected = selectedKey(s, ctx)

  if (key.escape) {
    if (s.view === "logs") return stay({ ...s, view: "detail" })
    if (s.view === "detail" || s.view === "help") return stay({ ...s, view: s.back })
    return stay({ ...s, filter: "" })
  }
  if (key.upArrow) return stay(move(s, ctx, -1))
  if (key.downArrow) return stay(move(s, ctx, 1))
  if (key.pageUp) return stay(move(s, ctx, -ctx.pageSize))
  if (key.pageDown) return stay(move(s, ctx, ctx.pageSize))
  if (key.ctrl && key.input === "d") {
    const kind = kindOf[s.view] ?? (s.view === "detail" || s.view === "logs" ? "Pod" : undefined)
    const target = s.view === "detail" || s.view === "logs" ? s.focus : selected
    if (kind === undefined || target === undefined) return stay(s)
    return stay({
      ...s,
      prompt: {
        _tag: "Confirm",
        message: `Delete ${kind.toLowerCase()} ${target}? (y/n)`,
        action: { _tag: "Delete", kind, key: target }
      }
    })
  }
  if (key.ctrl) return stay(s)
  const podTarget = s.view === "detail" || s.view === "logs" ? s.focus : s.view === "pods" ? selected : undefined

  switch (key.input) {
    case "q":
      return stay(s, [{ _tag: "Quit" }])
    case "?":
      return stay({ ...s, view: "help", back: s.view === "help" ? s.back : s.view })
    case "/":
      return listViews.includes(s.view) ? stay({ ...s, prompt: { _tag: "Filter" }, input: s.filter }) : stay(s)
    case ":":
      return stay({ ...s, prompt: { _tag: "Command" }, input: "" })
    case "j":
      return stay(move(s, ctx, 1))
    case "k":
      return stay(move(s, ctx, -1))
    case "g":
      return stay(move(s, ctx, -ctx.total))
    case "G":
      return stay(move(s, ctx, ctx.total))
    case " ":
      return stay(s, [{ _tag: "TogglePause" }])
    case "+":
    case "=":
      return stay(s, [{ _tag: "Speed", direction: 1 }])
    case "-":
      return stay(s, [{ _tag: "Speed", direction: -1 }])
    case "O":
      return stay(s, [{ _tag: "RegistryOutage" }])
    case "a":
      return stay({
        ...s,
        prompt: { _tag: "Input", label: "apply file or example", build: "apply", key: "" },
        input: ""
      })
    case "1":
      return stay({ ...s, view: "pods", back: "pods" })
    case "2":
      return stay({ ...s, view: "events", back: "events" })
    case "3":
      return stay({ ...s, view: "nodes", back: "nodes" })
    case "4":
      return stay({ ...s, view: "rs", back: "rs" })
    case "5":
      return stay({ ...s, view: "svc", back: "svc" })
  }

  if (s.view === "pods" && key.return && selected !== undefined) {
    return stay({ ...s, view: "detail", back: "pods", focus: selected, container: 0 })
  }
  if (podTarget !== undefined) {
    const container = ctx.containers[s.view === "logs" ? s.container : 0]
    switch (key.input) {
      case "d":
        return stay({ ...s, view: "detail", back: s.view === "logs" ? s.back : "pods", focus: podTarget })
      case "l":
        return stay({
          ...s,
          view: "logs",
          back: s.view === "pods" ? "pods" : s.back,
          focus: podTarget,
          previous: false
        })
      case "x":
        return stay({
          ...s,
          prompt: {
            _tag: "Input",
            label: `exit code for ${container ?? "container"}`,
            build: "kill",
            key: podTarget,
            container
          },
          input: ""
        })
      case "o":
        return stay(s, [{ _tag: "Oom", key: podTarget, container }])
    }
  }
  if (s.view === "logs") {
    switch (key.input) {
      case "p":
        return stay({ ...s, previous: !s.previous })
      case "f":
        return stay({ ...s, follow: !s.follow })
      case "c":
        return stay({ ...s, container: ctx.containers.length === 0 ? 0 : (s.container + 1) % ctx.containers.length })
    }
  }
  if (s.view === "nodes" && selected !== undefined) {
    const node = selected.slice(selected.indexOf("/") + 1)
    switch (key.input) {
      case "c":
        return stay(s, [{ _tag: "Cordon", node }])
      case "r":
        return stay({
          ...s,
          prompt: { _tag: "Confirm", message: `Drain node ${node}? (y/n)`, action: { _tag: "Drain", node } }
        })
      case "P":
        return stay(s, [{ _tag: "NodeFault", node, fault: "partition" }])
      case "R":
        return stay(s, [{ _tag: "NodeFault", node, fault: "resume" }])
      case "D":
        return stay(s, [{ _tag: "NodeFault", node, fault: "disk-failure" }])
      case "M":
        return stay(s, [{ _tag: "NodeFault", node, fault: "memory-pressure" }])
    }
  }
  if (s.view === "rs" && selected !== undefined && key.input === "s") {
    return stay({
      ...s,
      prompt: { _tag: "Input", label: `replicas for ${selected}`, build: "scale", key: selected },
      input: ""
    })
  }
  return stay(s)
}

/** Every key, for the `?` help view. */
export const helpLines: ReadonlyArray<readonly [string, string]> = [
  ["↑/↓ j/k PgUp/PgDn g/G", "move the selection"],
  ["1-5", "pods, events, nodes, replicasets, services"],
  [":", "command: pods, nodes, events, rs, svc, ns NAME, apply PATH, q"],
  ["/", "filter the list (Esc clears)"],
  ["Enter / d", "describe the selected pod"],
  ["l", "logs of the selected pod (c: next container, p: previous instance, f: follow)"],
  ["x", "kill a container with an exit code"],
  ["o", "OOM-kill a container"],
  ["Ctrl+d", "delete the selected object (asks first)"],
  ["a", "apply a file or an example (e.g. 06-crashloop)"],
  ["c / r", "nodes: cordon or uncordon / drain"],
  ["P R D M", "nodes: partition, resume, disk failure, memory pressure"],
  ["s", "replicasets: scale"],
  ["O", "registry outage on/off"],
  ["Space", "pause or resume the clock"],
  ["+ / -", "speed up / slow down the clock (1x to 1000x)"],
  ["Esc", "back"],
  ["?", "this help"],
  ["q", "quit"]
]
