/**
 * One container instance's log: timestamped lines, bounded to the newest `maxLines` lines and
 * `maxBytes` bytes of text (the kubelet rotates container logs at 10 MiB; the simulation keeps
 * less: 10,000 lines / 1 MiB by default). Stored as parallel arrays; `LogLine`s are built on read.
 */
import type { LogLine } from "../../services/ContainerRuntime.js"

/** Default bounds per container instance. */
export const defaultLogLimits = { maxLines: 10_000, maxBytes: 1024 * 1024 } as const

export class LogBuffer {
  private times: Array<number> = []
  private lines: Array<string> = []
  /** stderr line indexes are flagged by a set (stderr is rare); keys are absolute sequence numbers */
  private stderr: Set<number> | undefined = undefined
  private head = 0
  private base = 0
  private bytes = 0

  constructor(
    private readonly maxLines: number = defaultLogLimits.maxLines,
    private readonly maxBytes: number = defaultLogLimits.maxBytes
  ) {}

  /** Appends one line (without its newline) written at `time` (epoch ms). */
  append(time: number, stream: "stdout" | "stderr", line: string): void {
    if (stream === "stderr") (this.stderr ??= new Set()).add(this.base + this.lines.length)
    if (this.lines.length === 0) {
      // most instances log a line or two: arrays of one element, not push's first 17
      this.times = [time]
      this.lines = [line]
    } else {
      this.times.push(time)
      this.lines.push(line)
    }
    this.bytes += line.length + 1
    while (this.lines.length - this.head > this.maxLines || (this.bytes > this.maxBytes && this.size > 1)) {
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

  /** The kept lines, oldest first. */
  read(): ReadonlyArray<LogLine> {
    const out: Array<LogLine> = []
    for (let i = this.head; i < this.lines.length; i++) {
      out.push({
        time: this.times[i]!,
        stream: this.stderr?.has(this.base + i) ? "stderr" : "stdout",
        line: this.lines[i]!
      })
    }
    return out
  }

  private compact(): void {
    this.times = this.times.slice(this.head)
    this.lines = this.lines.slice(this.head)
    this.base += this.head
    this.head = 0
  }
}
