/**
 * Column layout the way kubectl prints tables (Go's tabwriter: padding 3, left-aligned, no
 * trailing spaces). Pure: rows of cells in, lines out.
 */

/** Lays out `rows` (the first is usually the header) as kubectl does: columns separated by 3 spaces. */
export const tabwrite = (rows: ReadonlyArray<ReadonlyArray<string>>, padding = 3): Array<string> => {
  const widths: Array<number> = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + padding)))
      .join("")
      .trimEnd()
  )
}
