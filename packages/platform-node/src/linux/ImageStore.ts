/**
 * The image store of Linux mode, content-addressed like containerd's: blobs under
 * `<dir>/blobs/sha256/<hex>` (written once, verified by the fetcher), and each image's root
 * filesystem unpacked once under `<dir>/rootfs/<manifest hex>` from its layers in order (tar,
 * gzip or not, through the system `tar`), with OCI whiteouts applied (`.wh.<name>` deletes a lower
 * entry, `.wh..wh..opq` empties the directory below the layer).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { Effect } from "effect"
import type { Descriptor } from "./Distribution.js"
import { run } from "./Network.js"

/** What a layer's entries ask of the layers below: paths to delete, directories to empty. */
export const whiteouts = (
  entries: ReadonlyArray<string>
): { readonly remove: ReadonlyArray<string>; readonly opaque: ReadonlyArray<string> } => {
  const remove: Array<string> = []
  const opaque: Array<string> = []
  for (const raw of entries) {
    const entry = raw.replace(/^\.\//, "").replace(/\/$/, "")
    const name = basename(entry)
    const dir = dirname(entry) === "." ? "" : dirname(entry)
    if (name === ".wh..wh..opq") opaque.push(dir)
    else if (name.startsWith(".wh.")) remove.push(dir === "" ? name.slice(4) : `${dir}/${name.slice(4)}`)
  }
  return { remove, opaque }
}

/** Is a layer's media type gzip-compressed? */
export const isGzip = (mediaType: string): boolean => mediaType.endsWith("gzip") || mediaType.endsWith("+gzip")

/** `sha256:<hex>` → `<hex>`. */
export const digestHex = (digest: string): string => digest.slice(digest.indexOf(":") + 1)

/** The store in `dir`. */
export const makeImageStore = (dir: string) => {
  const blobPath = (digest: string): string => join(dir, "blobs", "sha256", digestHex(digest))
  const rootfsPath = (manifestDigest: string): string => join(dir, "rootfs", digestHex(manifestDigest))

  /** Keeps a blob (verified by the caller). */
  const putBlob = (digest: string, data: Uint8Array): void => {
    const path = blobPath(digest)
    if (existsSync(path)) return
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(`${path}.tmp`, data)
    renameSync(`${path}.tmp`, path)
  }

  /** Unpacks the layers (blobs already stored) into the image's root filesystem, once. */
  const unpack = (manifestDigest: string, layers: ReadonlyArray<Descriptor>) =>
    Effect.gen(function* () {
      const target = rootfsPath(manifestDigest)
      if (existsSync(target)) return target
      const work = `${target}.unpacking-${process.pid}`
      rmSync(work, { recursive: true, force: true })
      mkdirSync(work, { recursive: true })
      for (const layer of layers) {
        const blob = blobPath(layer.digest)
        const z = isGzip(layer.mediaType) ? "z" : ""
        const listing = yield* run("tar", [`-t${z}f`, blob])
        const { remove, opaque } = whiteouts(listing.split("\n").filter((l) => l !== ""))
        for (const path of remove) rmSync(join(work, path), { recursive: true, force: true })
        for (const path of opaque) {
          const full = join(work, path)
          if (existsSync(full))
            for (const entry of readdirSync(full)) rmSync(join(full, entry), { recursive: true, force: true })
        }
        yield* run("tar", [`-x${z}f`, blob, "-C", work, "--numeric-owner", "--exclude=.wh.*", "--exclude=*/.wh.*"])
      }
      renameSync(work, target)
      return target
    })

  /** The unpacked root filesystem of an image (by its `repository@sha256:…` id), if stored. */
  const rootfsOf = (imageID: string): string | undefined => {
    const at = imageID.lastIndexOf("@")
    if (at < 0) return undefined
    const path = rootfsPath(imageID.slice(at + 1))
    return existsSync(path) ? path : undefined
  }

  return { dir, blobPath, putBlob, unpack, rootfsOf, hasBlob: (digest: string) => existsSync(blobPath(digest)) }
}

export type ImageStore = ReturnType<typeof makeImageStore>
