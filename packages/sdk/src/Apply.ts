/**
 * What `apply` writes over an existing object, as podlet's facade does it: the new object's fields
 * over the stored one, keeping the stored metadata (uid, resourceVersion, ...) but taking the new
 * labels and annotations. One pure function, so embedded and remote clusters write the same.
 */
import type { KubeObject } from "@podlet/core"

/** The replacement of `existing` by `object` (a PUT body). */
export const replacementOf = (existing: KubeObject, object: KubeObject): KubeObject =>
  ({
    ...existing,
    ...object,
    metadata: {
      ...existing.metadata,
      ...(object.metadata.labels !== undefined ? { labels: object.metadata.labels } : {}),
      ...(object.metadata.annotations !== undefined ? { annotations: object.metadata.annotations } : {})
    }
  }) as KubeObject

/** `local/app:dev` → name `local/app`, tag `dev`; a digest or no tag leaves the name whole. */
export const splitImageRef = (ref: string): { readonly name: string; readonly tag?: string } => {
  const at = ref.indexOf("@")
  if (at >= 0) return { name: ref.slice(0, at) }
  const colon = ref.lastIndexOf(":")
  return colon > ref.lastIndexOf("/") ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { name: ref }
}
