/**
 * meta.k8s.io/v1 Tables for server-side printing: one row per object with the resource's cells,
 * and `row.object` as PartialObjectMetadata (the default), the whole object (`includeObject=Object`,
 * which `--sort-by` needs) or nothing (`None`).
 */
import type { KubeObject, ListMeta, Table, TableRow } from "@podlet/core/api/Meta"
import type { Printer } from "@podlet/core/domain/Printers"

export type IncludeObject = "None" | "Metadata" | "Object"

/** The PartialObjectMetadata of an object. */
export const partialMetadata = (object: KubeObject) => ({
  kind: "PartialObjectMetadata",
  apiVersion: "meta.k8s.io/v1",
  metadata: object.metadata
})

const rowOf = (printer: Printer, object: KubeObject, now: number, include: IncludeObject): TableRow => {
  const cells = printer.cells(object, now)
  switch (include) {
    case "None":
      return { cells }
    case "Metadata":
      return { cells, object: partialMetadata(object) }
    case "Object":
      return { cells, object }
  }
}

/** A Table of `objects`; `headers: false` leaves out the column definitions (watch events after the first). */
export const toTable = (
  printer: Printer,
  objects: ReadonlyArray<KubeObject>,
  metadata: ListMeta,
  now: number,
  include: IncludeObject,
  headers = true
): Table => ({
  kind: "Table",
  apiVersion: "meta.k8s.io/v1",
  metadata,
  columnDefinitions: headers ? printer.columns : [],
  rows: objects.map((o) => rowOf(printer, o, now, include))
})
