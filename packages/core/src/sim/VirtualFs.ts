/**
 * The simulated container's in-memory filesystem. Each container instance gets its own writable
 * root; volumes are mounted over it. A mount maps a path to a directory (or file) object that the
 * runtime owns: the same `FsDir` mounted into several containers (an emptyDir) is shared between
 * them and outlives any one instance, so it survives restarts. ConfigMap/Secret volumes are
 * mounted read-only. All operations are synchronous and return an `FsError` code as a value.
 */

/** A regular file. */
export interface FsFile {
  readonly _tag: "File"
  content: string
}

/** A directory: entry name to node. */
export interface FsDir {
  readonly _tag: "Dir"
  readonly entries: Map<string, FsNode>
}

export type FsNode = FsFile | FsDir

/** errno-style failure codes, as values. */
export type FsError = "ENOENT" | "ENOTDIR" | "EISDIR" | "EEXIST" | "EROFS" | "ENOTEMPTY" | "EBUSY"

/** The strerror text busybox prints for each code. */
export const fsErrorMessage: Readonly<Record<FsError, string>> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EEXIST: "File exists",
  EROFS: "Read-only file system",
  ENOTEMPTY: "Directory not empty",
  EBUSY: "Resource busy"
}

/** Is this value one of the `FsError` codes (as opposed to a successful result)? */
export const isFsError = (u: unknown): u is FsError => typeof u === "string" && u in fsErrorMessage

/** A new file node. */
export const makeFile = (content = ""): FsFile => ({ _tag: "File", content })

/**
 * A new directory, optionally filled from `files` (relative paths such as `"conf/app.yaml"`, whose
 * intermediate directories are created). Use it for emptyDir volumes and ConfigMap/Secret contents.
 */
export const makeDir = (files?: Readonly<Record<string, string>>): FsDir => {
  const dir: FsDir = { _tag: "Dir", entries: new Map() }
  if (files !== undefined) {
    for (const [path, content] of Object.entries(files)) {
      const segments = splitPath(path)
      let current = dir
      for (let i = 0; i < segments.length - 1; i++) {
        const name = segments[i]!
        let next = current.entries.get(name)
        if (next === undefined || next._tag !== "Dir") {
          next = { _tag: "Dir", entries: new Map() }
          current.entries.set(name, next)
        }
        current = next
      }
      const last = segments[segments.length - 1]
      if (last !== undefined) current.entries.set(last, makeFile(content))
    }
  }
  return dir
}

const splitPath = (path: string): Array<string> => path.split("/").filter((s) => s.length > 0 && s !== ".")

/** Resolves `path` against `cwd` into a normalised absolute path (`.` and `..` removed). */
export const resolvePath = (cwd: string, path: string): string => {
  const full = path.startsWith("/") ? path : cwd.endsWith("/") ? cwd + path : `${cwd}/${path}`
  if (!full.includes("/.") && !full.includes("//") && (full.length === 1 || !full.endsWith("/"))) return full
  const out: Array<string> = []
  for (const segment of full.split("/")) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") out.pop()
    else out.push(segment)
  }
  return `/${out.join("/")}`
}

/** A volume mounted at `path`; `readOnly` makes every write under it fail with `EROFS`. */
export interface Mount {
  readonly path: string
  readonly node: FsNode
  readonly readOnly?: boolean | undefined
}

interface Located {
  readonly node: FsNode | undefined
  readonly parent: FsDir | undefined
  readonly name: string
  readonly readOnly: boolean
  /** the path is exactly a mount point (cannot be removed or replaced) */
  readonly mountPoint: boolean
  readonly error: FsError | undefined
}

const defaultDirs = [
  "bin",
  "dev",
  "etc",
  "home",
  "lib",
  "mnt",
  "opt",
  "proc",
  "root",
  "run",
  "sbin",
  "srv",
  "sys",
  "tmp",
  "usr/bin",
  "usr/local/bin",
  "usr/sbin",
  "usr/share",
  "var/cache",
  "var/lib",
  "var/log",
  "var/run",
  "var/tmp"
]

/**
 * One container instance's view: a private writable root plus mounts. Paths given to the methods
 * are absolute (use `resolvePath` for relative ones).
 */
export class VirtualFs {
  readonly root: FsDir
  private mounts: Array<{ readonly path: string; readonly node: FsNode; readonly readOnly: boolean }> = []

  private constructor(root: FsDir) {
    this.root = root
  }

  /**
   * A fresh root with the usual top-level directories, the given `files` (absolute paths, e.g.
   * `/etc/hostname`, `/etc/hosts`) and `mounts`.
   */
  static make(options?: {
    readonly files?: Readonly<Record<string, string>> | undefined
    readonly mounts?: ReadonlyArray<Mount> | undefined
  }): VirtualFs {
    const fs = new VirtualFs(makeDir())
    for (const dir of defaultDirs) fs.mkdir(`/${dir}`, true)
    for (const [path, content] of Object.entries(options?.files ?? {})) {
      fs.mkdir(parentOf(path), true)
      fs.writeFile(path, content, false)
    }
    for (const mount of options?.mounts ?? []) fs.mount(mount)
    return fs
  }

  /** Mounts a node at an absolute path (creating the parent directories in the root). */
  mount(mount: Mount): void {
    const path = resolvePath("/", mount.path)
    this.mkdir(parentOf(path), true)
    this.mounts = this.mounts.filter((m) => m.path !== path)
    this.mounts.push({ path, node: mount.node, readOnly: mount.readOnly === true })
    this.mounts.sort((a, b) => b.path.length - a.path.length)
  }

  private locate(path: string): Located {
    let base: FsNode = this.root
    let rest = path
    let readOnly = false
    let mountPoint = false
    for (const m of this.mounts) {
      if (path === m.path) {
        return { node: m.node, parent: undefined, name: "", readOnly: m.readOnly, mountPoint: true, error: undefined }
      }
      if (path.startsWith(m.path) && path.charCodeAt(m.path.length) === 47 /* / */) {
        base = m.node
        rest = path.slice(m.path.length)
        readOnly = m.readOnly
        mountPoint = false
        break
      }
    }
    const segments = splitPath(rest)
    if (segments.length === 0) {
      return { node: base, parent: undefined, name: "", readOnly, mountPoint: path === "/", error: undefined }
    }
    let dir: FsNode = base
    for (let i = 0; i < segments.length - 1; i++) {
      if (dir._tag !== "Dir") return notFound(readOnly, "ENOTDIR")
      const next: FsNode | undefined = dir.entries.get(segments[i]!)
      if (next === undefined) return notFound(readOnly, "ENOENT")
      dir = next
    }
    if (dir._tag !== "Dir") return notFound(readOnly, "ENOTDIR")
    const name = segments[segments.length - 1]!
    return { node: dir.entries.get(name), parent: dir, name, readOnly, mountPoint, error: undefined }
  }

  /** The node at `path`, or undefined. */
  stat(path: string): FsNode | undefined {
    return this.locate(path).node
  }

  exists(path: string): boolean {
    return this.locate(path).node !== undefined
  }

  isFile(path: string): boolean {
    return this.locate(path).node?._tag === "File"
  }

  isDir(path: string): boolean {
    return this.locate(path).node?._tag === "Dir"
  }

  /** Whether a write at `path` would hit a read-only mount. */
  isReadOnly(path: string): boolean {
    return this.locate(path).readOnly
  }

  readFile(path: string): string | FsError {
    const at = this.locate(path)
    if (at.error !== undefined) return at.error
    if (at.node === undefined) return "ENOENT"
    if (at.node._tag === "Dir") return "EISDIR"
    return at.node.content
  }

  /** Creates or truncates (`append` false) or appends to a file; the parent must exist. */
  writeFile(path: string, content: string, append: boolean): FsError | undefined {
    const at = this.locate(path)
    if (at.error !== undefined) return at.error
    if (at.readOnly) return "EROFS"
    if (at.node !== undefined) {
      if (at.node._tag === "Dir") return "EISDIR"
      at.node.content = append ? at.node.content + content : content
      return undefined
    }
    if (at.parent === undefined) return "ENOENT"
    at.parent.entries.set(at.name, makeFile(content))
    return undefined
  }

  /** Creates a directory (`parents`: like `mkdir -p`, no error if it exists). */
  mkdir(path: string, parents: boolean): FsError | undefined {
    if (parents) {
      let current = ""
      for (const segment of splitPath(path)) {
        current = `${current}/${segment}`
        const error = this.mkdir(current, false)
        if (error !== undefined && error !== "EEXIST") return error
        if (error === "EEXIST" && !this.isDir(current)) return "ENOTDIR"
      }
      return undefined
    }
    const at = this.locate(path)
    if (at.error !== undefined) return at.error
    if (at.node !== undefined) return "EEXIST"
    if (at.readOnly) return "EROFS"
    if (at.parent === undefined) return "ENOENT"
    at.parent.entries.set(at.name, makeDir())
    return undefined
  }

  /** Removes a file, or a directory when `recursive` (or when it is empty). */
  remove(path: string, recursive: boolean): FsError | undefined {
    const at = this.locate(path)
    if (at.error !== undefined) return at.error
    if (at.node === undefined) return "ENOENT"
    if (at.mountPoint || this.mounts.some((m) => m.path.startsWith(`${path}/`))) return "EBUSY"
    if (at.readOnly) return "EROFS"
    if (at.node._tag === "Dir" && !recursive && at.node.entries.size > 0) return "ENOTEMPTY"
    at.parent?.entries.delete(at.name)
    return undefined
  }

  /** Sorted entry names of a directory, mount points included. */
  list(path: string): ReadonlyArray<string> | FsError {
    const at = this.locate(path)
    if (at.error !== undefined) return at.error
    if (at.node === undefined) return "ENOENT"
    if (at.node._tag === "File") return "ENOTDIR"
    const names = new Set(at.node.entries.keys())
    for (const m of this.mounts)
      if (parentOf(m.path) === path && m.path !== "/") names.add(m.path.slice(path.length + (path === "/" ? 0 : 1)))
    return [...names].sort()
  }
}

/**
 * Templates of fresh mount-free filesystems (`VirtualFs.make({ files })` plus `mkdir -p cwd`) by
 * shape: which paths exist and which are files depends only on the file paths and the working
 * directory, never on contents, so one template answers `exists`/`isFile` for every filesystem of
 * that shape without building it. Templates are shared: only read them.
 */
export class FsShapes {
  private readonly templates = new Map<string, { readonly fs: VirtualFs; readonly exists: Map<string, boolean> }>()

  constructor(private readonly limit: number) {}

  /** The read-only template of `VirtualFs.make({ files })` after `mkdir -p cwd` (unless `/`). */
  of(files: Readonly<Record<string, string>>, cwd: string): VirtualFs {
    return this.shape(files, cwd).fs
  }

  /** `of(files, cwd).exists(path)`, remembered per shape. */
  exists(files: Readonly<Record<string, string>>, cwd: string, path: string): boolean {
    const shape = this.shape(files, cwd)
    let found = shape.exists.get(path)
    if (found === undefined) {
      found = shape.fs.exists(path)
      if (shape.exists.size >= this.limit) shape.exists.clear()
      shape.exists.set(path, found)
    }
    return found
  }

  private shape(files: Readonly<Record<string, string>>, cwd: string) {
    const names = Object.keys(files)
    const key = `${cwd}\u0000${names.join("\u0000")}`
    let shape = this.templates.get(key)
    if (shape === undefined) {
      const contents: Record<string, string> = {}
      for (const name of names) contents[name] = ""
      const fs = VirtualFs.make({ files: contents })
      if (cwd !== "/") fs.mkdir(cwd, true)
      shape = { fs, exists: new Map() }
      if (this.templates.size >= this.limit) this.templates.clear()
      this.templates.set(key, shape)
    }
    return shape
  }
}

const notFound = (readOnly: boolean, error: FsError): Located => ({
  node: undefined,
  parent: undefined,
  name: "",
  readOnly,
  mountPoint: false,
  error
})

/** The parent directory of an absolute path (`/` for top-level entries). */
export const parentOf = (path: string): string => {
  const i = path.lastIndexOf("/")
  return i <= 0 ? "/" : path.slice(0, i)
}

/** The last segment of a path. */
export const baseName = (path: string): string => {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
  const i = trimmed.lastIndexOf("/")
  return i < 0 ? trimmed : trimmed.slice(i + 1)
}
