/**
 * One container instance's log file in the CRI format the kubelet reads
 * (`<RFC 3339 time> <stdout|stderr> <F|P> <text>`; lines longer than 16 KiB are split into partial
 * `P` entries), bounded and rotated like the kubelet's `containerLogMaxSize` / `containerLogMaxFiles`:
 * at `maxBytes` the file becomes `<path>.1` (older ones shift up, the oldest is dropped). The file is
 * opened on the first write; `read` returns every kept line, oldest first, plus any unterminated line.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs"
import { StringDecoder } from "node:string_decoder"
import type { LogLine } from "@podlet/core/services/ContainerRuntime"

export interface LogLimits {
  /** rotate when the current file reaches this size */
  readonly maxBytes: number
  /** files kept, the current one included (at least 1) */
  readonly maxFiles: number
}

/** The kubelet's defaults: 10 MiB, 5 files. */
export const defaultLogLimits: LogLimits = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 }

/** CRI's maximum entry text; a longer line is written as partial entries. */
export const maxEntryLength = 16 * 1024

type Stream = "stdout" | "stderr"

/** One CRI log entry line (with its newline). */
export const formatEntry = (time: number, stream: Stream, partial: boolean, text: string): string =>
  `${new Date(time).toISOString()} ${stream} ${partial ? "P" : "F"} ${text}\n`

/** The lines of CRI log text: partial entries joined to the full entry that ends them. */
export const parseEntries = (text: string): Array<LogLine> => {
  const out: Array<LogLine> = []
  const partial: Record<Stream, { time: number; text: string } | undefined> = { stdout: undefined, stderr: undefined }
  let start = 0
  while (start < text.length) {
    let end = text.indexOf("\n", start)
    if (end < 0) end = text.length
    const entry = text.slice(start, end)
    start = end + 1
    const s1 = entry.indexOf(" ")
    const s2 = entry.indexOf(" ", s1 + 1)
    if (s1 < 0 || s2 < 0) continue
    const time = Date.parse(entry.slice(0, s1))
    const stream = entry.slice(s1 + 1, s2)
    const tag = entry.slice(s2 + 1, s2 + 2)
    if (Number.isNaN(time) || (stream !== "stdout" && stream !== "stderr") || (tag !== "F" && tag !== "P")) continue
    const body = entry.slice(s2 + 3)
    const pending = partial[stream]
    if (tag === "P") {
      if (pending === undefined) partial[stream] = { time, text: body }
      else pending.text += body
      continue
    }
    partial[stream] = undefined
    out.push(
      pending === undefined ? { time, stream, line: body } : { time: pending.time, stream, line: pending.text + body }
    )
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const pending = partial[stream]
    if (pending !== undefined) out.push({ time: pending.time, stream, line: pending.text })
  }
  return out
}

interface Pending {
  readonly decoder: StringDecoder
  text: string
  time: number
}

/** A container instance's log file. */
export class LogFile {
  private fd: number | undefined = undefined
  private size = 0
  private closed = false
  private readonly pending: Record<Stream, Pending> = {
    stdout: { decoder: new StringDecoder("utf8"), text: "", time: 0 },
    stderr: { decoder: new StringDecoder("utf8"), text: "", time: 0 }
  }

  constructor(
    readonly path: string,
    private readonly limits: LogLimits,
    private readonly now: () => number
  ) {}

  /** Appends what the process wrote on `stream`; complete lines become entries. */
  write(stream: Stream, chunk: Buffer): void {
    if (this.closed) return
    const pending = this.pending[stream]
    const text = pending.decoder.write(chunk)
    if (text === "") return
    const time = this.now()
    if (pending.text === "") pending.time = time
    let rest = pending.text + text
    let out = ""
    let newline = rest.indexOf("\n")
    while (newline >= 0) {
      out += this.entries(pending.time, stream, rest.slice(0, newline))
      rest = rest.slice(newline + 1)
      pending.time = time
      newline = rest.indexOf("\n")
    }
    while (rest.length > maxEntryLength) {
      out += formatEntry(pending.time, stream, true, rest.slice(0, maxEntryLength))
      rest = rest.slice(maxEntryLength)
    }
    pending.text = rest
    if (out !== "") this.append(out)
  }

  /** The process ended: writes unterminated lines and closes the file. */
  close(): void {
    if (this.closed) return
    let out = ""
    for (const stream of ["stdout", "stderr"] as const) {
      const pending = this.pending[stream]
      const text = pending.text + pending.decoder.end()
      if (text !== "") out += this.entries(pending.text === "" ? this.now() : pending.time, stream, text)
      pending.text = ""
    }
    if (out !== "") this.append(out)
    this.closed = true
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  /** Every kept line, oldest first (an unterminated line last). */
  read(): Array<LogLine> {
    let text = ""
    for (let i = this.limits.maxFiles - 1; i >= 0; i--) {
      const file = i === 0 ? this.path : `${this.path}.${i}`
      if (existsSync(file)) text += readFileSync(file, "utf8")
    }
    const lines = parseEntries(text)
    for (const stream of ["stdout", "stderr"] as const) {
      const pending = this.pending[stream]
      if (pending.text !== "") lines.push({ time: pending.time, stream, line: pending.text })
    }
    return lines
  }

  /** Closes and deletes the files. */
  remove(): void {
    this.close()
    for (let i = 0; i < this.limits.maxFiles; i++) rmSync(i === 0 ? this.path : `${this.path}.${i}`, { force: true })
  }

  private entries(time: number, stream: Stream, line: string): string {
    if (line.length <= maxEntryLength) return formatEntry(time, stream, false, line)
    let out = ""
    let rest = line
    while (rest.length > maxEntryLength) {
      out += formatEntry(time, stream, true, rest.slice(0, maxEntryLength))
      rest = rest.slice(maxEntryLength)
    }
    return out + formatEntry(time, stream, false, rest)
  }

  private append(text: string): void {
    this.fd ??= openSync(this.path, "a")
    this.size += writeSync(this.fd, text)
    if (this.size >= this.limits.maxBytes) this.rotate()
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    this.size = 0
    const keep = Math.max(1, this.limits.maxFiles)
    if (keep === 1) {
      rmSync(this.path, { force: true })
      return
    }
    for (let i = keep - 1; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`
      if (existsSync(from)) renameSync(from, `${this.path}.${i}`)
    }
  }
}
