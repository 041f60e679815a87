/**
 * Sandbox directories made ahead of need. Creating a directory allocates an inode and a block, and on
 * a busy disk two `mkdir`s cost milliseconds on every pod's start; renaming a ready one costs tens of
 * microseconds. A few spares (`<root>/.spare-<tag>-<n>`, each with the given subdirectories) are
 * kept ready; each one taken is replaced in the background (libuv's thread pool, off the event loop).
 * A taken spare is exactly what `mkdir` would have made: the directory and its empty subdirectories.
 */

import { renameSync } from "node:fs"
import { mkdir, rm } from "node:fs/promises"
import { join } from "node:path"

export interface SpareDirs {
  /** Moves a ready spare to `path` (absent); false when none is ready (then the caller makes it). */
  readonly take: (path: string) => boolean
  /** Stops refilling, waits for the directories being made, removes the spares left. */
  readonly close: () => Promise<void>
  /** spares ready now */
  readonly ready: () => number
}

/** Keeps `count` spares of `subdirs` under `root` (an existing directory), named with `tag`. */
export const makeSpareDirs = (root: string, tag: string, subdirs: ReadonlyArray<string>, count: number): SpareDirs => {
  const ready: Array<string> = []
  const making = new Set<Promise<void>>()
  let next = 0
  let closed = false

  /** one thread-pool job for the directory and its first subdirectory, then the others together */
  const make = async (path: string): Promise<void> => {
    const [first, ...rest] = subdirs
    await mkdir(first === undefined ? path : join(path, first), { recursive: true })
    await Promise.all(rest.map((sub) => mkdir(join(path, sub))))
  }

  const refill = (): void => {
    while (!closed && ready.length + making.size < count) {
      const path = join(root, `.spare-${tag}-${next++}`)
      const made: Promise<void> = make(path).then(
        () => {
          making.delete(made)
          if (closed) return rm(path, { recursive: true, force: true })
          ready.push(path)
        },
        () => {
          // a spare that could not be made is not retried: callers make their own directories
          making.delete(made)
          return rm(path, { recursive: true, force: true }).catch(() => {})
        }
      )
      making.add(made)
    }
  }

  refill()
  return {
    take: (path) => {
      const spare = ready.pop()
      if (spare === undefined) return false
      try {
        renameSync(spare, path)
      } catch {
        return false
      } finally {
        refill()
      }
      return true
    },
    ready: () => ready.length,
    close: async () => {
      closed = true
      await Promise.allSettled([...making])
      await Promise.allSettled(ready.splice(0).map((path) => rm(path, { recursive: true, force: true })))
    }
  }
}
