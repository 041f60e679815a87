/**
 * The dashboard: draws the UiState over the source's snapshot and runs the reducer's actions
 * against the source. Views are dumb; rows come from the pure renderers in `../render`.
 */
// The automatic JSX runtime whatever tsconfig compiles this file: tsx applies a tsconfig only to the
// files it includes, so a consumer elsewhere (bench/) would otherwise get `React.createElement`,
// which throws "React is not defined" inside Ink's error boundary and the app silently stops.
/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type { Pod } from "@podlet/core"
import { Box, Text, useApp, useInput, useStdout } from "ink"
import { memo, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react"
import { describePod } from "../render/Describe.js"
import { PodIndex } from "../render/PodIndex.js"
import { podTable } from "../render/Pods.js"
import { eventTable, nodeTable, replicaSetTable, serviceTable } from "../render/Resources.js"
import { filterRows, type RowColor, scrollWindow, type TableModel } from "../render/Table.js"
import type { ClusterSnapshot, DashboardSource, LogLine } from "../source/DashboardSource.js"
import { tabwrite } from "../Tabwriter.js"
import {
  type Action,
  helpLines,
  initialUiState,
  type ListContext,
  listContext,
  reduceKey,
  type UiState
} from "./UiState.js"

export interface AppProps {
  readonly source: DashboardSource
  /** resolves `a`/`:apply` input to manifest text: a path, or an example name */
  readonly readManifest: (pathOrExample: string) => Promise<string>
  /** rows available to the list (defaults to the terminal height) */
  readonly height?: number
}

const inNamespace = (namespace: string) => (o: { readonly metadata: { readonly namespace?: string } }) =>
  namespace === "all" || o.metadata.namespace === namespace

/** The table of the current list view. */
export const listModel = (state: Pick<UiState, "view" | "namespace">, snapshot: ClusterSnapshot): TableModel => {
  const ns = inNamespace(state.namespace)
  switch (state.view) {
    case "events":
      return eventTable(snapshot.events.filter(ns), snapshot.now)
    case "nodes": {
      // each node's row from its own pods: one pass over the pods, not one per node
      const byNode = new Map<string, Array<Pod>>()
      for (const pod of snapshot.pods) {
        const node = pod.spec.nodeName
        if (node === undefined || node === "") continue
        const list = byNode.get(node)
        if (list === undefined) byNode.set(node, [pod])
        else list.push(pod)
      }
      return {
        header: nodeTable([], [], snapshot.now).header,
        rows: snapshot.nodes.flatMap(
          (node) => nodeTable([node], byNode.get(node.metadata.name ?? "") ?? [], snapshot.now).rows
        )
      }
    }
    case "rs":
      return replicaSetTable(snapshot.replicaSets.filter(ns), snapshot.now)
    case "svc":
      return serviceTable(snapshot.services.filter(ns), snapshot.now)
    default:
      return podTable(snapshot.pods.filter(ns), snapshot.now, { namespace: state.namespace === "all" })
  }
}

const colors: Readonly<Record<RowColor, string | undefined>> = {
  default: undefined,
  green: "green",
  yellow: "yellow",
  red: "red",
  gray: "gray",
  cyan: "cyan"
}

const speeds = [1, 10, 100, 1000]

const clockText = (source: DashboardSource, now: number): string => {
  const clock = source.clock()
  const time = new Date(now).toISOString().replace("T", " ").slice(0, 19)
  if (clock.mode === "real") return `${time} UTC  real clock`
  const rate = clock.paused ? "paused" : `${clock.speed}x`
  return `${time} UTC  ${clock.mode} clock ${rate}`
}

const containersOf = (pod: ReturnType<PodIndex["pod"]>): ReadonlyArray<string> =>
  pod === undefined ? [] : [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name)

/** A list line; unchanged lines are not rendered again. */
const Line = memo(({ text, color, inverse }: { text: string; color: RowColor; inverse: boolean }) => {
  const c = colors[color]
  return (
    <Text inverse={inverse} {...(c === undefined ? {} : { color: c })}>
      {text}
    </Text>
  )
})

export const App = ({ source, readManifest, height }: AppProps) => {
  const { exit } = useApp()
  const { stdout } = useStdout()
  const subscribe = useCallback((listener: () => void) => source.subscribe(listener), [source])
  const getSnapshot = useCallback(() => source.snapshot(), [source])
  const snapshot = useSyncExternalStore(subscribe, getSnapshot)
  const [ui, setUiState] = useState<UiState>(initialUiState)
  // Keys can arrive faster than renders: the reducer always reads the latest state from here.
  const latest = useRef<UiState>(initialUiState)
  const setUi = useCallback((next: UiState | ((s: UiState) => UiState)) => {
    latest.current = typeof next === "function" ? next(latest.current) : next
    setUiState(latest.current)
  }, [])
  const [logs, setLogs] = useState<ReadonlyArray<LogLine>>([])
  const [outage, setOutage] = useState(false)
  const rows = Math.max(3, (height ?? stdout.rows ?? 30) - 6)

  // The pods list is maintained incrementally (a snapshot costs the pods that changed, a keypress
  // the rows on screen); the other lists are small and derived per snapshot.
  const [pods] = useState(() => new PodIndex())
  pods.sync(snapshot.pods, snapshot.now)
  if (ui.view === "pods") pods.select(ui.namespace, ui.filter)
  const { view, namespace } = ui
  const model = useMemo(
    () => (view === "pods" ? undefined : listModel({ view, namespace }, snapshot)),
    [view, namespace, snapshot]
  )
  const visible = useMemo(() => (model === undefined ? [] : filterRows(model.rows, ui.filter)), [model, ui.filter])
  const lines = useMemo(
    () => (model === undefined ? [] : tabwrite([model.header, ...visible.map((r) => r.cells)])),
    [model, visible]
  )
  const total = ui.view === "pods" ? pods.size : visible.length
  const selectedIndex = Math.min(ui.selected[ui.view] ?? 0, Math.max(0, total - 1))
  const focused = pods.pod(ui.focus)
  const selectedPod = ui.view === "pods" ? pods.pod(pods.keyAt(selectedIndex)) : focused
  const containers = containersOf(selectedPod)

  const detailLines = useMemo(
    () => (ui.view === "detail" && focused !== undefined ? describePod(focused, snapshot.events, snapshot.now) : []),
    [ui.view, focused, snapshot]
  )
  const logContainer = containers[ui.container]
  useEffect(() => {
    if (ui.view !== "logs" || focused === undefined || logContainer === undefined) return
    let live = true
    source
      .logs(focused.metadata.namespace ?? "default", focused.metadata.name ?? "", logContainer, ui.previous)
      .then((lines) => live && setLogs(lines))
      .catch((e) => live && setLogs([{ time: snapshot.now, line: `(logs unavailable: ${String(e)})` }]))
    return () => {
      live = false
    }
  }, [ui.view, ui.previous, focused, logContainer, source, snapshot.now])

  const report = useCallback((message: string) => setUi((s) => ({ ...s, message })), [setUi])

  const run = useCallback(
    (action: Action) => {
      const split = (key: string) => {
        const i = key.indexOf("/")
        return [key.slice(0, i), key.slice(i + 1)] as const
      }
      const attempt = (what: string, p: () => Promise<unknown>) =>
        p().then(
          () => report(what),
          (e: unknown) => report(`${what} failed: ${e instanceof Error ? e.message : String(e)}`)
        )
      const can = (capability: Parameters<DashboardSource["capabilities"]["has"]>[0]) => {
        if (source.capabilities.has(capability)) return true
        report(
          capability === "timeControl" && source.clock().mode === "real"
            ? `pause and speed: not available on the real clock of ${source.description}`
            : `${capability}: not available on ${source.description}`
        )
        return false
      }
      switch (action._tag) {
        case "Quit":
          exit()
          return
        case "Delete": {
          const [ns, name] = split(action.key)
          if (can("delete"))
            attempt(`deleted ${action.kind.toLowerCase()} ${name}`, () => source.delete(action.kind, ns, name))
          return
        }
        case "Kill": {
          const [ns, name] = split(action.key)
          if (can("kill") && action.container !== undefined) {
            const container = action.container
            attempt(`killed ${name}/${container} with exit ${action.exitCode}`, () =>
              source.killContainer(ns, name, container, action.exitCode)
            )
          }
          return
        }
        case "Oom": {
          const [ns, name] = split(action.key)
          if (can("oom") && action.container !== undefined) {
            const container = action.container
            attempt(`OOM-killed ${name}/${container}`, () => source.oomContainer(ns, name, container))
          }
          return
        }
        case "Apply":
          if (can("apply")) {
            attempt(`applied ${action.path}`, () => readManifest(action.path).then((text) => source.apply(text)))
          }
          return
        case "Cordon": {
          const node = snapshot.nodes.find((n) => n.metadata.name === action.node)
          const cordon = node?.spec?.unschedulable !== true
          if (can("cordon"))
            attempt(`${cordon ? "cordoned" : "uncordoned"} ${action.node}`, () => source.cordon(action.node, cordon))
          return
        }
        case "Drain":
          if (can("drain")) attempt(`drained ${action.node}`, () => source.drain(action.node))
          return
        case "NodeFault":
          if (can("nodeFaults"))
            attempt(`${action.fault} on ${action.node}`, () => source.nodeFault(action.node, action.fault))
          return
        case "Scale": {
          const [ns, name] = split(action.key)
          if (can("scale"))
            attempt(`scaled ${name} to ${action.replicas}`, () => source.scale(ns, name, action.replicas))
          return
        }
        case "RegistryOutage":
          if (can("registryOutage")) {
            const down = !outage
            setOutage(down)
            attempt(down ? "registry outage on" : "registry outage off", () => source.registryOutage(down))
          }
          return
        case "TogglePause":
          if (can("timeControl"))
            attempt(source.clock().paused ? "resumed" : "paused", () =>
              source.setClock({ paused: !source.clock().paused })
            )
          return
        case "Speed": {
          if (!can("timeControl")) return
          const i = speeds.indexOf(source.clock().speed)
          const next = speeds[Math.min(speeds.length - 1, Math.max(0, (i === -1 ? 0 : i) + action.direction))] ?? 1
          attempt(`speed ${next}x`, () => source.setClock({ speed: next }))
          return
        }
      }
    },
    [exit, outage, readManifest, report, snapshot.nodes, source]
  )

  useInput((input, key) => {
    // in the detail view the "rows" are the scroll positions of the describe text
    const ctx: ListContext =
      ui.view === "detail"
        ? listContext(
            Array.from({ length: Math.max(1, detailLines.length - rows + 1) }, (_, i) => String(i)),
            rows,
            containers
          )
        : ui.view === "pods"
          ? { total: pods.size, keyAt: (i) => pods.keyAt(i), pageSize: rows, containers }
          : listContext(
              visible.map((r) => r.key),
              rows,
              containers
            )
    const t = reduceKey(latest.current, { ...key, input }, ctx)
    setUi(t.state)
    for (const action of t.actions) run(action)
  })

  const body = (() => {
    if (ui.view === "help") {
      return (
        <Box flexDirection="column">
          <Text bold>Keys</Text>
          {helpLines.map(([keys, what]) => (
            <Text key={keys}>
              <Text color="cyan">{keys.padEnd(24)}</Text>
              {what}
            </Text>
          ))}
        </Box>
      )
    }
    if (ui.view === "detail" || ui.view === "logs") {
      if (focused === undefined) return <Text color="gray">pod {ui.focus} is gone</Text>
      if (ui.view === "detail") {
        const lines = detailLines
        const top = Math.min(ui.selected.detail ?? 0, Math.max(0, lines.length - rows))
        return (
          <Box flexDirection="column">
            {lines.slice(top, top + rows).map((line, i) => (
              <Text key={`${top + i}`}>{line}</Text>
            ))}
          </Box>
        )
      }
      const title = `logs ${focused.metadata.name}/${logContainer ?? "?"}${ui.previous ? " (previous)" : ""}${ui.follow ? " (follow)" : ""}`
      const shown = ui.follow ? logs.slice(-rows) : logs.slice(0, rows)
      return (
        <Box flexDirection="column">
          <Text bold>{title}</Text>
          {shown.length === 0 ? (
            <Text color="gray">waiting for the container to start; recent events:</Text>
          ) : (
            shown.map((l, i) => <Text key={`${l.time}-${i}`}>{`${new Date(l.time).toISOString()} ${l.line}`}</Text>)
          )}
          {shown.length === 0 &&
            describePod(focused, snapshot.events, snapshot.now)
              .slice(-Math.max(1, rows - 2))
              .filter((l) => !l.startsWith("Events"))
              .map((l, i) => (
                <Text key={`ev-${i}`} color="gray">
                  {l}
                </Text>
              ))}
        </Box>
      )
    }
    const selected = selectedIndex
    const window = scrollWindow(total, selected, rows, selected - Math.floor(rows / 2))
    const drawn =
      ui.view === "pods"
        ? pods.window(window.top, window.bottom, snapshot.now)
        : {
            header: lines[0] ?? "",
            lines: visible
              .slice(window.top, window.bottom)
              .map((row, i) => ({ key: row.key, line: lines[window.top + i + 1] ?? "", color: row.color }))
          }
    return (
      <Box flexDirection="column">
        <Text bold>{drawn.header}</Text>
        {total === 0 && <Text color="gray">{ui.filter === "" ? "no objects" : `nothing matches /${ui.filter}`}</Text>}
        {drawn.lines.map((row, i) => (
          <Line key={row.key} text={row.line} color={row.color} inverse={window.top + i === selected} />
        ))}
      </Box>
    )
  })()

  const prompt = ui.prompt
  const footer =
    prompt === undefined ? (
      <Text color={ui.message === undefined ? "gray" : "cyan"}>
        {ui.message ?? "? help  : command  / filter  enter describe  l logs  ctrl+d delete  q quit"}
      </Text>
    ) : prompt._tag === "Confirm" ? (
      <Text color="yellow">{prompt.message}</Text>
    ) : (
      <Text>
        {prompt._tag === "Filter" ? "/" : prompt._tag === "Command" ? ":" : `${prompt.label}: `}
        {ui.input}
        <Text inverse> </Text>
      </Text>
    )

  const count =
    ui.view === "pods" || ui.view === "events" || ui.view === "nodes" || ui.view === "rs" || ui.view === "svc"
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between">
        <Text bold color="cyan">
          podlet <Text color="white">{source.description}</Text>
        </Text>
        <Text>{clockText(source, snapshot.now)}</Text>
      </Box>
      <Text color="gray">
        {`${ui.view}${count ? ` (${total})` : ""}  namespace: ${ui.namespace}${ui.filter === "" ? "" : `  filter: /${ui.filter}`}`}
      </Text>
      {body}
      {footer}
    </Box>
  )
}
