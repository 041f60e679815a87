/**
 * The shape every list view draws: a header and rows of cells, each row with a stable key (for
 * the selection) and a colour derived from its status. Renderers in this folder are pure.
 */

export type RowColor = "default" | "green" | "yellow" | "red" | "gray" | "cyan"

export interface Row {
  /** stable identity, e.g. `namespace/name` */
  readonly key: string
  readonly cells: ReadonlyArray<string>
  readonly color: RowColor
}

export interface TableModel {
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Row>
}

/** Rows whose cells contain `filter` (case-insensitive); an empty filter keeps every row. */
export const filterRows = (rows: ReadonlyArray<Row>, filter: string): ReadonlyArray<Row> => {
  const needle = filter.trim().toLowerCase()
  if (needle === "") return rows
  return rows.filter((row) => row.cells.some((cell) => cell.toLowerCase().includes(needle)))
}

/** The window of `height` rows that keeps `selected` visible, given the previous top row. */
export const scrollWindow = (
  total: number,
  selected: number,
  height: number,
  top: number
): { readonly top: number; readonly bottom: number } => {
  const size = Math.max(1, height)
  let nextTop = Math.min(Math.max(0, top), Math.max(0, total - size))
  if (selected < nextTop) nextTop = selected
  if (selected >= nextTop + size) nextTop = selected - size + 1
  nextTop = Math.max(0, nextTop)
  return { top: nextTop, bottom: Math.min(total, nextTop + size) }
}
