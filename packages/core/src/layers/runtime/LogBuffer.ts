/**
 * One container instance's log: timestamped lines, bounded to the newest `maxLines` lines and
 * `maxBytes` bytes of text (the kubelet rotates container logs at 10 MiB; the simulation keeps
 * less: 10,000 lines / 1 MiB by default). Stored as parallel arrays; `LogLine`s are built on read.
 * Most instances log a few lines in one instant, and every exited one is kept until the kubelet
 * removes it: small logs hold arrays of their exact length and a single time while all their lines
 * share it.
 */
import type { LogLine } from "../../services/ContainerRuntime.js"

/** Bounds per container instance. */
export interface LogLimits {
  readonly maxLines: number
  readonly maxBytes: number
}

/** Default bounds per container instance. */
export const defaultLogLimits: LogLimits = { maxLines: 10_000, maxBytes: 1024 * 1024 }

/** the bounds as one object: logs with the default bounds share `defaultLogLimits` (one field, not two) */
const limitsOf = (maxLines: number, maxBytes: number): LogLimits =>
  maxLines === defaultLogLimits.maxLines && maxBytes === defaultLogLimits.maxBytes
    ? defaultLogLimits
    : { maxLines, maxBytes }

/** Up to this many lines, the arrays grow by one (exact length); beyond, as arrays grow. */
const exactUpTo = 16
/** every log's first lines array: never written (below `exactUpTo` lines a log makes a new array) */
const noLines: Array<string> = []

export class LogBuffer {
  /** the lines' times: one number while every line so far was written at that time */
  private times: Array<number> | number = 0
  private lines: Array<string> = noLines
  /** stderr line indexes are flagged by a set (stderr is rare); keys are absolute sequence numbers */
  private stderr: Set<number> | undefined = undefined
  private head = 0
  private base = 0
  private bytes = 0
  private readonly limits: LogLimits

  constructor(maxLines: number = defaultLogLimits.maxLines, maxBytes: number = defaultLogLimits.maxBytes) {
    this.limits = limitsOf(maxLines, maxBytes)
  }

  /** Appends one line (without its newline) written at `time` (epoch ms, or as the owner keeps times). */
  append(time: number, stream: "stdout" | "stderr", line: string): void {
    const n = this.lines.length
    if (stream === "stderr") (this.stderr ??= new Set()).add(this.base + n)
    if (typeof this.times !== "number") this.times.push(time)
    else if (n === 0) this.times = time
    else if (time !== this.times) {
      const times = new Array<number>(n).fill(this.times)
      times.push(time)
      this.times = times
    }
    if (n < exactUpTo) this.lines = this.lines.concat(line)
    else this.lines.push(line)
    this.bytes += line.length + 1
    const { maxLines, maxBytes } = this.limits
    while (this.lines.length - this.head > maxLines || (this.bytes > maxBytes && this.size > 1)) {
      this.bytes -= this.lines[this.head]!.length + 1
      this.stderr?.delete(this.base + this.head)
      this.head++
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) this.compact()
  }

  /** Lines kept. */
  get size(): number {
    return this.lines.length - this.head
  }

  /** The kept lines, oldest first; `timeOf` turns a time as appended into epoch ms. */
  read(timeOf?: (time: number) => number): ReadonlyArray<LogLine> {
    const out: Array<LogLine> = []
    const times = this.times
    for (let i = this.head; i < this.lines.length; i++) {
      const time = typeof times === "number" ? times : times[i]!
      out.push({
        time: timeOf === undefined ? time : timeOf(time),
        stream: this.stderr?.has(this.base + i) ? "stderr" : "stdout",
        line: this.lines[i]!
      })
    }
    return out
  }

  private compact(): void {
    if (typeof this.times !== "number") this.times = this.times.slice(this.head)
    this.lines = this.lines.slice(this.head)
    this.base += this.head
    this.head = 0
  }
}
