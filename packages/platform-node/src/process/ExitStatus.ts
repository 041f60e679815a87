/**
 * How a container process's end becomes a terminated state (containerd's words): the exit code, or
 * 128 + the signal number when a signal ended it (143 after SIGTERM, 137 after SIGKILL); `Completed`
 * for 0, `Error` otherwise, `OOMKilled` (137) when the memory watcher killed it; a fault injected by
 * `killContainer` reports what it was asked to.
 */
import { constants } from "node:os"

/** How the process ended, as Node reports it (`exit` event). */
export interface ProcessEnd {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** Why the runtime ended it, if it did (beyond stop signals, which the exit status already shows). */
export type EndCause =
  | { readonly _tag: "Exited" }
  | { readonly _tag: "OutOfMemory" }
  | { readonly _tag: "Injected"; readonly exitCode: number; readonly reason: string }

export interface Termination {
  readonly exitCode: number
  readonly reason: string
}

/** POSIX number of a signal name (`SIGTERM` → 15); 0 when unknown. */
export const signalNumber = (signal: NodeJS.Signals): number => constants.signals[signal] ?? 0

/** The shell convention: the exit code, or 128 + the signal number. */
export const exitCodeOf = (end: ProcessEnd): number =>
  end.signal !== null ? 128 + signalNumber(end.signal) : (end.code ?? 0)

/** The terminated state of a container instance. */
export const terminationOf = (end: ProcessEnd, cause: EndCause): Termination => {
  if (cause._tag === "Injected") return { exitCode: cause.exitCode, reason: cause.reason }
  if (cause._tag === "OutOfMemory") return { exitCode: 137, reason: "OOMKilled" }
  const exitCode = exitCodeOf(end)
  return { exitCode, reason: exitCode === 0 ? "Completed" : "Error" }
}
