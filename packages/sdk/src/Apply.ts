/**
 * What `apply` writes over an existing object, and image references split for the registry: pure
 * helpers, so embedded and remote clusters write the same.
 */
import type { KubeObject } from "@podlet/core/api/Meta"

/**
 * The patch `apply` sends for an object that exists: the manifest itself, as a strategic merge
 * patch for the kinds podlet knows (lists of containers merge by name) and a JSON merge patch for
 * others; fields the manifest leaves out keep their stored values.
 */
export const applyPatchOf = (object: KubeObject, known: boolean) =>
  ({ type: known ? "strategic" : "merge", patch: object }) as const

/** `local/app:dev` → name `local/app`, tag `dev`; a digest or no tag leaves the name whole. */
export const splitImageRef = (ref: string): { readonly name: string; readonly tag?: string } => {
  const at = ref.indexOf("@")
  if (at >= 0) return { name: ref.slice(0, at) }
  const colon = ref.lastIndexOf(":")
  return colon > ref.lastIndexOf("/") ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { name: ref }
}
