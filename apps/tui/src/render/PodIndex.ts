/**
 * The pods list kept up to date incrementally, so that a frame and a keypress cost the rows on
 * screen, not the cluster's size: each pod's row is rendered once per change of the pod (found by
 * object identity against the previous snapshot), kept in a list sorted by namespace and name and
 * in the list the namespace and filter select, with the column widths counted as rows come and go.
 * A new namespace or filter is one pass over the pods. Pure (no React): the App draws its window.
 */
import type { Pod } from "@podlet/core"
import { columnWidths, tabwriteLine } from "../Tabwriter.js"
import { podHeader, podRow } from "./Pods.js"
import type { Row, RowColor } from "./Table.js"

/** One pod and its row as of its last change. */
interface Entry {
  readonly key: string
  readonly namespace: string
  readonly name: string
  readonly pod: Pod
  /** cells in `podHeader` order (NAMESPACE first), rendered when the pod last changed */
  readonly row: Row
  /** what a filter matches, lowercased: every cell but NAMESPACE and AGE, RESTARTS without "(… ago)" */
  readonly text: string
}

/** A line of the drawn window. */
export interface PodLine {
  readonly key: string
  readonly line: string
  readonly color: RowColor
}

const collator = new Intl.Collator()

const compare = (a: Entry, b: Entry): number =>
  collator.compare(a.namespace, b.namespace) || collator.compare(a.name, b.name)

const ageColumn = 5
const restartsColumn = 4

const entryOf = (pod: Pod, now: number): Entry => {
  const row = podRow(pod, now)
  const text = row.cells
    .map((cell, i) =>
      i === 0 || i === ageColumn ? "" : i === restartsColumn ? cell.replace(/ \(.*\)$/, "") : cell.toLowerCase()
    )
    .join("\n")
  return {
    key: row.key,
    namespace: pod.metadata.namespace ?? "",
    name: pod.metadata.name ?? "",
    pod,
    row,
    text
  }
}

/** Index of the first entry not before `entry` in the sorted `list`. */
const lowerBound = (list: ReadonlyArray<Entry>, entry: Entry): number => {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compare(list[mid] as Entry, entry) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Per column, how many rows have each width: the widest is known as rows come and go. */
class Widths {
  private readonly counts: Array<Array<number>> = podHeader.map(() => [])
  readonly max: Array<number> = podHeader.map(() => 0)

  add(cells: ReadonlyArray<string>): void {
    cells.forEach((cell, c) => {
      const counts = this.counts[c] as Array<number>
      counts[cell.length] = (counts[cell.length] ?? 0) + 1
      if (cell.length > (this.max[c] ?? 0)) this.max[c] = cell.length
    })
  }

  remove(cells: ReadonlyArray<string>): void {
    cells.forEach((cell, c) => {
      const counts = this.counts[c] as Array<number>
      const left = (counts[cell.length] ?? 1) - 1
      counts[cell.length] = left
      if (left === 0 && cell.length === this.max[c]) {
        let w = cell.length
        while (w > 0 && (counts[w] ?? 0) === 0) w--
        this.max[c] = w
      }
    })
  }

  clear(): void {
    for (const [c, counts] of this.counts.entries()) {
      counts.length = 0
      this.max[c] = 0
    }
  }
}

/** The pods list of the dashboard, maintained from successive snapshots' pod arrays. */
export class PodIndex {
  private readonly byKey = new Map<string, Entry>()
  private readonly byObject = new Map<Pod, Entry>()
  /** every pod, sorted by namespace and name */
  private sorted: Array<Entry> = []
  /** the pods the namespace and filter select, in the same order */
  private shown: Array<Entry> = []
  private readonly widths = new Widths()
  private pods: ReadonlyArray<Pod> | undefined
  private namespace = "all"
  private needle = ""

  /** Takes a snapshot's pods: only those whose object changed since the last call are rendered again. */
  sync(pods: ReadonlyArray<Pod>, now: number): void {
    if (pods === this.pods) return
    this.pods = pods
    const changed: Array<Pod> = []
    for (const pod of pods) if (!this.byObject.has(pod)) changed.push(pod)
    // many changes at once (the first snapshot, a namespace full of new pods): one sort
    const bulk = changed.length > 64 && changed.length * 16 > this.byKey.size
    for (const pod of changed) {
      const entry = entryOf(pod, now)
      const old = this.byKey.get(entry.key)
      if (old !== undefined) this.byObject.delete(old.pod)
      this.byKey.set(entry.key, entry)
      this.byObject.set(pod, entry)
      if (!bulk) this.place(old, entry)
    }
    if (this.byKey.size > pods.length) {
      const present = new Set<Pod>(pods)
      for (const entry of [...this.byKey.values()]) {
        if (present.has(entry.pod)) continue
        this.byKey.delete(entry.key)
        this.byObject.delete(entry.pod)
        if (!bulk) this.place(entry, undefined)
      }
    }
    if (bulk) {
      this.sorted = [...this.byKey.values()].sort(compare)
      this.select(this.namespace, this.needle, true)
    }
  }

  /** Shows the pods of `namespace` ("all": every namespace) whose cells contain `filter` (case-insensitive). */
  select(namespace: string, filter: string, force = false): void {
    const needle = filter.trim().toLowerCase()
    if (!force && namespace === this.namespace && needle === this.needle) return
    this.namespace = namespace
    this.needle = needle
    this.shown = this.sorted.filter((entry) => this.matches(entry))
    this.widths.clear()
    for (const entry of this.shown) this.widths.add(entry.row.cells)
  }

  /** How many pods are shown. */
  get size(): number {
    return this.shown.length
  }

  /** The key (`namespace/name`) of the `index`th pod shown. */
  keyAt(index: number): string | undefined {
    return this.shown[index]?.key
  }

  /** The pod with key `namespace/name`, shown or not. */
  pod(key: string | undefined): Pod | undefined {
    return key === undefined ? undefined : this.byKey.get(key)?.pod
  }

  /** The header line and the lines of the shown pods `top` to `bottom` (exclusive), at cluster time `now`. */
  window(top: number, bottom: number, now: number): { readonly header: string; readonly lines: Array<PodLine> } {
    const all = this.namespace === "all"
    const cut = (cells: ReadonlyArray<string>) => (all ? cells : cells.slice(1))
    const rows = this.shown.slice(top, bottom).map((entry) => podRow(entry.pod, now))
    const header = cut(podHeader)
    // columns as wide as the widest cell shown, or drawn here at `now` (AGE moves with the clock)
    const drawn = columnWidths([header, ...rows.map((r) => cut(r.cells))])
    const widths = drawn.map((w, c) => Math.max(w, this.widths.max[all ? c : c + 1] ?? 0))
    return {
      header: tabwriteLine(header, widths),
      lines: rows.map((row) => ({ key: row.key, line: tabwriteLine(cut(row.cells), widths), color: row.color }))
    }
  }

  private matches(entry: Entry): boolean {
    if (this.namespace !== "all" && entry.namespace !== this.namespace) return false
    if (this.needle === "") return true
    return (
      entry.text.includes(this.needle) ||
      (this.namespace === "all" && entry.namespace.toLowerCase().includes(this.needle))
    )
  }

  /** Moves `old` out of and `next` into the sorted and shown lists. */
  private place(old: Entry | undefined, next: Entry | undefined): void {
    this.replaceIn(this.sorted, old, next)
    const wasShown = old !== undefined && this.matches(old)
    const isShown = next !== undefined && this.matches(next)
    if (wasShown) this.widths.remove(old.row.cells)
    if (isShown) this.widths.add(next.row.cells)
    this.replaceIn(this.shown, wasShown ? old : undefined, isShown ? next : undefined)
  }

  private replaceIn(list: Array<Entry>, old: Entry | undefined, next: Entry | undefined): void {
    if (old !== undefined) {
      const i = lowerBound(list, old)
      if (list[i]?.key === old.key) {
        // a status change keeps the pod's place
        if (next !== undefined && next.key === old.key) {
          list[i] = next
          return
        }
        list.splice(i, 1)
      }
    }
    if (next !== undefined) list.splice(lowerBound(list, next), 0, next)
  }
}
