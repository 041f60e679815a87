/**
 * The boundary between the simulated runtime and the shell interpreter: everything a simulated
 * process sees of its container (`ProcessContext`) and the facades the runtime implements
 * (network, memory), plus the signal mailbox through which the runtime delivers SIGTERM.
 * SIGKILL is not delivered here: the runtime interrupts the process fiber and reports 137.
 */
import { Deferred, Effect } from "effect"
import { VirtualFs } from "./VirtualFs.js"

/** Result of `NetworkFacade.listen`. */
export type ListenResult = "ok" | "bind: Address already in use"

/** An HTTP answer from a listener (see `NetworkFacade.http`). */
export interface HttpResponse {
  readonly status: number
  readonly body: string
}

/**
 * The pod network as one process sees it; the runtime owns the pod IP/port space.
 * `host` arguments are IP addresses (the interpreter resolves names first; `localhost` is
 * passed as `127.0.0.1`, meaning the process's own pod).
 */
export interface NetworkFacade {
  /** Binds `port` in the pod's network namespace. */
  readonly listen: (port: number) => Effect.Effect<ListenResult>
  /** Releases a port this process bound; called when a listening command ends or is interrupted. */
  readonly close: (port: number) => Effect.Effect<void>
  /** Whether a TCP connection to `host:port` would be accepted. */
  readonly connect: (host: string, port: number) => Effect.Effect<boolean>
  /** DNS: the IP for a name (Service, pod hostname, external name), or undefined for NXDOMAIN. */
  readonly resolve: (name: string) => Effect.Effect<string | undefined>
  /**
   * Optional HTTP answer for `GET path` at a reachable `host:port`; when absent (or it answers
   * undefined) any path of a listening port answers 200 with a small default body.
   */
  readonly http?: ((host: string, port: number, path: string) => Effect.Effect<HttpResponse | undefined>) | undefined
}

/** Memory accounting; the runtime may OOM-kill the container (by interrupting it) inside `allocate`. */
export interface MemoryFacade {
  readonly allocate: (bytes: number) => Effect.Effect<void>
  readonly release: (bytes: number) => Effect.Effect<void>
}

/** Signal names the interpreter knows, without the `SIG` prefix. */
export type SignalName = "HUP" | "INT" | "QUIT" | "KILL" | "USR1" | "USR2" | "PIPE" | "ALRM" | "TERM"

/** Signal numbers (Linux x86-64). */
export const signalNumbers: Readonly<Record<SignalName, number>> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  KILL: 9,
  USR1: 10,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15
}

/** Parses `TERM`, `SIGTERM`, `sigterm` or `15` into a signal name. */
export const parseSignal = (text: string): SignalName | undefined => {
  const upper = text.toUpperCase()
  const name = upper.startsWith("SIG") ? upper.slice(3) : upper
  if (name in signalNumbers) return name as SignalName
  const n = Number(text)
  if (Number.isInteger(n)) {
    for (const [key, value] of Object.entries(signalNumbers)) if (value === n) return key as SignalName
  }
  return undefined
}

/**
 * A process's signal mailbox. The runtime calls `deliver("TERM")`; the interpreter runs a trap
 * (or applies the default action) at the next command boundary, and wakes `wait` at once.
 */
export class Signals {
  private readonly queue: Array<SignalName> = []
  private waiter: Deferred.Deferred<void> | undefined = undefined

  /** Queues a signal for the process. */
  deliver(signal: SignalName): Effect.Effect<void> {
    return Effect.sync(() => this.deliverUnsafe(signal))
  }

  deliverUnsafe(signal: SignalName): void {
    this.queue.push(signal)
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      Deferred.doneUnsafe(waiter, Effect.void)
    }
  }

  get hasPending(): boolean {
    return this.queue.length > 0
  }

  /** Removes and returns the oldest pending signal. */
  take(): SignalName | undefined {
    return this.queue.shift()
  }

  /** The pending signals, oldest first (not removed). */
  pending(): ReadonlyArray<SignalName> {
    return this.queue
  }

  /**
   * Completes at the first delivery after this call (the waiter is registered at once, so a
   * signal delivered between this call and running the effect is not missed).
   */
  nextDelivery(): Effect.Effect<void> {
    this.waiter ??= Deferred.makeUnsafe<void>()
    return Deferred.await(this.waiter)
  }
}

/** The user a process runs as (securityContext `runAsUser` / `runAsGroup` / supplemental groups). */
export interface ProcessUser {
  readonly uid: number
  readonly gid: number
  readonly groups?: ReadonlyArray<number> | undefined
}

/** Everything a simulated process gets from the runtime. */
export interface ProcessContext {
  /** The container's environment (exported to the script). */
  readonly env: Readonly<Record<string, string>>
  readonly hostname: string
  /** Working directory (container `workingDir`); default `/`. */
  readonly cwd?: string | undefined
  /** `$$`; 1 for the container's main process. A PID-1 process ignores signals it does not trap. */
  readonly pid?: number | undefined
  readonly user?: ProcessUser | undefined
  readonly fs: VirtualFs
  /** One call per complete output line (without the newline); the runtime timestamps it. */
  readonly stdout: (line: string) => Effect.Effect<void>
  readonly stderr: (line: string) => Effect.Effect<void>
  readonly network: NetworkFacade
  readonly memory: MemoryFacade
  readonly signals: Signals
  /** `kill` of a pid other than the process itself (e.g. `kill 1` from an exec hook); false: no such process. */
  readonly signalProcess?: ((pid: number, signal: SignalName) => Effect.Effect<boolean>) | undefined
}

/** A network where nothing resolves and nothing listens, and every bind succeeds. */
export const isolatedNetwork: NetworkFacade = {
  listen: () => Effect.succeed("ok"),
  close: () => Effect.void,
  connect: () => Effect.succeed(false),
  resolve: () => Effect.succeed(undefined)
}

/** Memory without a limit. */
export const unlimitedMemory: MemoryFacade = {
  allocate: () => Effect.void,
  release: () => Effect.void
}

const discard = (): Effect.Effect<void> => Effect.void

/** A context with defaults for anything not given (discarding output, isolated network, fresh fs). */
export const makeProcessContext = (options: Partial<ProcessContext>): ProcessContext => ({
  env: options.env ?? {},
  hostname: options.hostname ?? "localhost",
  cwd: options.cwd ?? "/",
  pid: options.pid ?? 1,
  user: options.user,
  fs: options.fs ?? VirtualFs.make(),
  stdout: options.stdout ?? discard,
  stderr: options.stderr ?? discard,
  network: options.network ?? isolatedNetwork,
  memory: options.memory ?? unlimitedMemory,
  signals: options.signals ?? new Signals(),
  signalProcess: options.signalProcess
})
