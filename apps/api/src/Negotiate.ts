/**
 * Content negotiation from the Accept header: a Table (server-side printing), partial metadata,
 * YAML or plain JSON for resources; aggregated (v2, v2beta1) or legacy documents for discovery.
 * kubectl lists protobuf first and falls back to JSON, so JSON is always the answer of last resort.
 */

interface AcceptEntry {
  readonly type: string
  readonly params: Readonly<Record<string, string>>
}

const parseAccept = (accept: string | null | undefined): ReadonlyArray<AcceptEntry> =>
  (accept ?? "")
    .split(",")
    .map((entry) => {
      const [type = "", ...params] = entry.split(";")
      const record: Record<string, string> = {}
      for (const param of params) {
        const eq = param.indexOf("=")
        if (eq > 0) record[param.slice(0, eq).trim().toLowerCase()] = param.slice(eq + 1).trim()
      }
      return { type: type.trim().toLowerCase(), params: record }
    })
    .filter((e) => e.type !== "")

/** How a resource response is rendered. */
export type Output = "json" | "yaml" | "table" | "partial"

/** The first representation the client accepts that podlet can produce; JSON when none. */
export const outputFor = (accept: string | null | undefined): Output => {
  for (const entry of parseAccept(accept)) {
    const as = entry.params["as"]
    const metaV1 =
      entry.params["g"] === "meta.k8s.io" && (entry.params["v"] === "v1" || entry.params["v"] === "v1beta1")
    if (entry.type === "application/json" || entry.type === "*/*" || entry.type === "application/*") {
      if (as === undefined) return "json"
      if (as === "Table" && metaV1) return "table"
      if ((as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") && metaV1) return "partial"
      continue
    }
    if (entry.type === "application/yaml" && as === undefined) return "yaml"
  }
  return "json"
}

/** The discovery document flavour the client asked for first. */
export type DiscoveryFlavor = "v2" | "v2beta1" | "legacy"

export const discoveryFlavorFor = (accept: string | null | undefined): DiscoveryFlavor => {
  for (const entry of parseAccept(accept)) {
    if (entry.type !== "application/json") continue
    const p = entry.params
    if (p["as"] === "APIGroupDiscoveryList" && p["g"] === "apidiscovery.k8s.io") {
      if (p["v"] === "v2") return "v2"
      if (p["v"] === "v2beta1") return "v2beta1"
      continue
    }
    if (p["as"] === undefined) return "legacy"
  }
  return "legacy"
}

/** The Content-Type of each output. */
export const contentTypeOf = (output: Output): string => {
  switch (output) {
    case "json":
      return "application/json"
    case "yaml":
      return "application/yaml"
    case "table":
      return "application/json;as=Table;v=v1;g=meta.k8s.io"
    case "partial":
      return "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
  }
}
