/**
 * Column layout the way kubectl prints tables (Go's tabwriter: padding 3, left-aligned, no
 * trailing spaces). Pure: rows of cells in, lines out.
 */

/** The width of each column: its longest cell. */
export const columnWidths = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<number> => {
  const widths: Array<number> = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return widths
}

/** One row laid out on columns of `widths`: every cell but the last padded to its width plus `padding`. */
export const tabwriteLine = (row: ReadonlyArray<string>, widths: ReadonlyArray<number>, padding = 3): string =>
  row
    .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + padding)))
    .join("")
    .trimEnd()

/** Lays out `rows` (the first is usually the header) as kubectl does: columns separated by 3 spaces. */
export const tabwrite = (rows: ReadonlyArray<ReadonlyArray<string>>, padding = 3): Array<string> => {
  const widths = columnWidths(rows)
  return rows.map((row) => tabwriteLine(row, widths, padding))
}
