/**
 * The pod detail view, laid out like `kubectl describe pod`: header fields, init containers and
 * containers (state, reason, exit code, last state, ready, restarts, image and pull policy),
 * conditions, volumes, and the pod's events. Pure: lines of text in order.
 */
import type { Container, ContainerState, ContainerStatus, Event, Pod } from "@podlet/core"
import { humanDuration } from "@podlet/core/domain/HumanDuration"
import { fromRfc3339 } from "@podlet/core/domain/Time"

const field = (label: string, value: string, indent = 0): string =>
  `${" ".repeat(indent)}${`${label}:`.padEnd(Math.max(22 - indent, label.length + 2))}${value}`

const stateLines = (label: string, state: ContainerState | undefined, indent: number): Array<string> => {
  if (state?.running)
    return [field(label, "Running", indent), field("  Started", state.running.startedAt ?? "", indent)]
  if (state?.terminated) {
    const t = state.terminated
    return [
      field(label, "Terminated", indent),
      field("  Reason", t.reason ?? "", indent),
      ...(t.message ? [field("  Message", t.message, indent)] : []),
      field("  Exit Code", String(t.exitCode), indent),
      field("  Started", t.startedAt ?? "", indent),
      field("  Finished", t.finishedAt ?? "", indent)
    ]
  }
  if (state?.waiting) {
    return [
      field(label, "Waiting", indent),
      field("  Reason", state.waiting.reason ?? "", indent),
      ...(state.waiting.message ? [field("  Message", state.waiting.message, indent)] : [])
    ]
  }
  return label === "State" ? [field(label, "<unknown>", indent)] : []
}

const containerLines = (c: Container, status: ContainerStatus | undefined): Array<string> => [
  `  ${c.name}:`,
  field("Container ID", status?.containerID ?? "", 4),
  field("Image", c.image ?? "", 4),
  field("Image ID", status?.imageID ?? "", 4),
  field("Image Pull Policy", c.imagePullPolicy ?? "", 4),
  ...(c.restartPolicy ? [field("Restart Policy", c.restartPolicy, 4)] : []),
  ...(c.command ? [field("Command", c.command.join(" "), 4)] : []),
  ...(c.args ? [field("Args", c.args.join(" "), 4)] : []),
  ...stateLines("State", status?.state, 4),
  ...stateLines("Last State", status?.lastState, 4),
  field("Ready", String(status?.ready ?? false), 4),
  field("Restart Count", String(status?.restartCount ?? 0), 4),
  ...(c.livenessProbe ? [field("Liveness", probeText(c.livenessProbe), 4)] : []),
  ...(c.readinessProbe ? [field("Readiness", probeText(c.readinessProbe), 4)] : []),
  ...(c.startupProbe ? [field("Startup", probeText(c.startupProbe), 4)] : [])
]

const probeText = (p: NonNullable<Container["livenessProbe"]>): string => {
  const how = p.exec
    ? `exec [${(p.exec.command ?? []).join(" ")}]`
    : p.httpGet
      ? `http-get http://:${p.httpGet.port}${p.httpGet.path ?? "/"}`
      : p.tcpSocket
        ? `tcp-socket :${p.tcpSocket.port}`
        : p.grpc
          ? `grpc <pod>:${p.grpc.port}`
          : "<none>"
  return `${how} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`
}

/** Events of `pod`, oldest first, as kubectl describe's table (Type, Reason, Age, From, Message). */
export const podEventLines = (pod: Pod, events: ReadonlyArray<Event>, now: number): Array<string> => {
  const mine = events
    .filter(
      (e) =>
        e.involvedObject.uid === pod.metadata.uid ||
        (e.involvedObject.name === pod.metadata.name &&
          e.involvedObject.namespace === pod.metadata.namespace &&
          e.involvedObject.kind === "Pod")
    )
    .map((e) => ({ e, at: fromRfc3339(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) ?? 0 }))
    .sort((a, b) => a.at - b.at)
  if (mine.length === 0) return ["Events:  <none>"]
  const rows = mine.map(({ e, at }) => {
    const first = fromRfc3339(e.firstTimestamp) ?? at
    const ageText =
      (e.count ?? 1) > 1
        ? `${humanDuration(now - at)} (x${e.count} over ${humanDuration(now - first)})`
        : humanDuration(now - at)
    return [
      e.type ?? "Normal",
      e.reason ?? "",
      ageText,
      e.source?.component ?? e.reportingComponent ?? "",
      e.message ?? ""
    ]
  })
  const header = ["Type", "Reason", "Age", "From", "Message"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2))).join("")}`.trimEnd()
  return ["Events:", line(header), line(header.map((h) => "-".repeat(h.length))), ...rows.map(line)]
}

/** The whole describe text of `pod`. */
export const describePod = (pod: Pod, events: ReadonlyArray<Event>, now: number): Array<string> => {
  const status = pod.status ?? {}
  const byName = (list: ReadonlyArray<ContainerStatus> | undefined, name: string) => list?.find((s) => s.name === name)
  const labels = Object.entries(pod.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`)
  const lines = [
    field("Name", pod.metadata.name ?? ""),
    field("Namespace", pod.metadata.namespace ?? ""),
    field("Node", pod.spec.nodeName ?? "<none>"),
    field("Start Time", status.startTime ?? "<unset>"),
    field("Labels", labels.length === 0 ? "<none>" : labels.join(", ")),
    ...(pod.metadata.deletionTimestamp
      ? [
          field(
            "Status",
            `Terminating (lasts ${humanDuration((fromRfc3339(pod.metadata.deletionTimestamp) ?? now) - now)})`
          )
        ]
      : [field("Status", status.phase ?? "")]),
    ...(status.reason ? [field("Reason", status.reason)] : []),
    ...(status.message ? [field("Message", status.message)] : []),
    field("IP", status.podIP ?? ""),
    field("Restart Policy", pod.spec.restartPolicy ?? "Always")
  ]
  if ((pod.spec.initContainers ?? []).length > 0) {
    lines.push("Init Containers:")
    for (const c of pod.spec.initContainers ?? [])
      lines.push(...containerLines(c, byName(status.initContainerStatuses, c.name)))
  }
  lines.push("Containers:")
  for (const c of pod.spec.containers) lines.push(...containerLines(c, byName(status.containerStatuses, c.name)))
  lines.push("Conditions:", "  Type                        Status")
  for (const c of status.conditions ?? []) lines.push(`  ${c.type.padEnd(28)}${c.status}`)
  lines.push("Volumes:")
  for (const v of pod.spec.volumes ?? []) {
    const kind = v.emptyDir
      ? "EmptyDir"
      : v.configMap
        ? `ConfigMap (${v.configMap.name})`
        : v.secret
          ? `Secret (${v.secret.secretName})`
          : v.hostPath
            ? `HostPath (${v.hostPath.path})`
            : "<unknown>"
    lines.push(`  ${v.name}: ${kind}`)
  }
  if ((pod.spec.volumes ?? []).length === 0) lines.push("  <none>")
  lines.push(...podEventLines(pod, events, now))
  return lines
}
