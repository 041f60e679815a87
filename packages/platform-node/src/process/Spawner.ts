/**
 * How the process runtime starts processes. A container (or exec) process is its own process group
 * (`detached`), stdin ignored, stdout and stderr piped back; the caller hears its output, its end
 * (`exit`) and when its pipes are drained (`close`), and signals its group itself (pids are global).
 * - `spawnDirect`: `child_process.spawn` in this process.
 * - `startSpawnHelper`: a small Perl process started once (`perl-base` is essential on Debian), that
 *   spawns on request over a pipe and reports pid, output and end back. `fork` from this process
 *   copies its page tables and blocks its event loop until the child has exec'd (so does a Node
 *   helper's, one child at a time); the Perl helper's fork is small and does not wait for the exec,
 *   so the spawns of a burst exec side by side and this process stays free. The helper dies with
 *   this process (EOF on its stdin), killing the process groups it still runs. When the helper is
 *   gone (killed), what ran through it is killed and reported as ended by SIGKILL, and later spawns
 *   are direct; without `perl`, every spawn is direct.
 */
import type { ChildProcess, SpawnOptions } from "node:child_process"
import { spawn } from "node:child_process"
import { mkdirSync } from "node:fs"
import { constants } from "node:os"
import { getSystemErrorMap } from "node:util"
import { Deferred, Effect } from "effect"
import type { ProcessEnd } from "./ExitStatus.js"

export interface SpawnRequest {
  readonly file: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  /**
   * a directory made (with its parents) before the spawn, where the spawn happens (the spawn
   * helper's child makes it, its other spawns going on meanwhile); the spawn fails with the
   * `mkdir` error when it cannot be made
   */
  readonly mkdir?: string
}

/** What the caller hears of a started process; called from the moment it has a pid. */
export interface SpawnListeners {
  readonly output: (stream: "stdout" | "stderr", chunk: Buffer) => void
  readonly exit: (end: ProcessEnd) => void
  /** stdout and stderr are closed (after `exit`) */
  readonly close: () => void
}

export interface Spawned {
  /** the process's pid, also its process group */
  readonly pid: number
  /** stop reading its pipes (a daemon that left the group keeps them open): `close` follows */
  readonly release: () => void
}

export interface Spawner {
  /** Starts a process; fails with the error `spawn` gives (ENOENT, EACCES, …) when it cannot. */
  readonly spawn: (request: SpawnRequest, listeners: SpawnListeners) => Effect.Effect<Spawned, NodeJS.ErrnoException>
  /** Ends the helper (its remaining process groups are killed); idempotent. */
  readonly close: () => void
  /** the helper's pid while it runs */
  readonly helperPid: () => number | undefined
}

const spawnOptions = (request: SpawnRequest): SpawnOptions => ({
  cwd: request.cwd,
  env: request.env,
  detached: true,
  stdio: ["ignore", "pipe", "pipe"]
})

/** Starts the process in this Node process. */
const startDirect = (request: SpawnRequest, listeners: SpawnListeners) =>
  Effect.callback<Spawned, NodeJS.ErrnoException>((resume) => {
    let child: ChildProcess
    try {
      if (request.mkdir !== undefined) mkdirSync(request.mkdir, { recursive: true })
      child = spawn(request.file, [...request.args], spawnOptions(request))
    } catch (error) {
      resume(Effect.fail(error as NodeJS.ErrnoException))
      return
    }
    if (child.pid === undefined) {
      child.once("error", (error) => resume(Effect.fail(error)))
      return
    }
    child.on("error", () => {})
    child.stdout?.on("data", (chunk: Buffer) => listeners.output("stdout", chunk))
    child.stderr?.on("data", (chunk: Buffer) => listeners.output("stderr", chunk))
    child.once("exit", (code, signal) => listeners.exit({ code, signal }))
    child.once("close", () => listeners.close())
    resume(
      Effect.succeed({
        pid: child.pid,
        release: () => {
          child.stdout?.destroy()
          child.stderr?.destroy()
        }
      })
    )
  })

/** `child_process.spawn` in this process. */
export const spawnDirect: Spawner = { spawn: startDirect, close: () => {}, helperPid: () => undefined }

/** Frame types the helper writes: `type u8, id u32, length u32, payload`. */
const frame = { ready: 0, spawned: 1, failed: 2, stdout: 3, stderr: 4, exit: 5, close: 6 } as const
const headerBytes = 9

/**
 * The helper (Perl, from Debian's essential `perl-base`; run by `perl -e`). Requests in, each
 * `length u32` then NUL-separated fields: `s id file cwd mkdir? mkdir argc args… env…` (spawn),
 * `r id` (release). Frames out; `ready` once it reads. A spawn forks (a small process: cheap) and
 * does not wait: the child makes `mkdir`, starts its own session, resets signals, sets its stdio,
 * cwd and env and execs; a close-on-exec pipe tells the helper the exec happened (`spawned`) or
 * why not (`failed`: `spawn|mkdir errno`), so the execs of a burst run side by side. Ends are
 * `exit` (`c code` or `s signal`) then `close` once the pipes are drained. EOF, SIGTERM or a broken
 * pipe: kill every group still running, exit. A SIGCHLD that lands just before `select` is heard
 * within 100 ms.
 */
export const helperScript = String.raw`use strict; use POSIX (); use Fcntl ();
$SIG{PIPE} = 'IGNORE'; $SIG{INT} = sub {}; $SIG{CHLD} = sub {};
my (%kids, %byPid, @todo);
my $default = POSIX::SigAction->new('DEFAULT'); my $noSignals = POSIX::SigSet->new();
my @signals = grep { $_ != 9 && $_ != 19 } 1 .. 31;
sub finish { kill 'KILL', -$_, $_ for keys %byPid; POSIX::_exit(0) }
$SIG{TERM} = \&finish;
# frames not yet written (stdout is non-blocking: a busy reader never stalls the spawns); past 1 MiB
# the children's output is left unread, so they wait on their pipes as on any slow log reader
my $out = '';
sub flushOut {
  while (length $out) {
    my $n = syswrite(STDOUT, $out);
    if (!defined $n) { next if $!{EINTR}; return if $!{EAGAIN}; finish() }
    substr($out, 0, $n) = '';
  }
}
sub put { $out .= pack('CNN', $_[0], $_[1], length $_[2]) . $_[2]; flushOut() }
sub mkpath {
  my ($p) = @_;
  return 1 if mkdir $p;
  return -d $p ? 1 : 0 if $!{EEXIST};
  return 0 unless $!{ENOENT};
  (my $up = $p) =~ s{/+[^/]+/*$}{};
  return 0 if $up eq '' || $up eq $p || !mkpath($up);
  return 1 if mkdir $p;
  return $!{EEXIST} && -d $p ? 1 : 0;
}
sub child {
  my ($ew, $ow, $xw, $file, $cwd, $mkdir, $args, $env) = @_;
  my $fail = sub { syswrite $ew, "$_[0] " . ($! + 0); POSIX::_exit(127) };
  POSIX::setsid();
  POSIX::sigaction($_, $default) for @signals;
  POSIX::sigprocmask(POSIX::SIG_SETMASK(), $noSignals);
  if (defined $mkdir) { mkpath($mkdir) or $fail->('mkdir') }
  open(STDIN, '<', '/dev/null') or $fail->('spawn');
  open(STDOUT, '>&', $ow) or $fail->('spawn');
  open(STDERR, '>&', $xw) or $fail->('spawn');
  chdir $cwd or $fail->('spawn');
  %ENV = ();
  for (@$env) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v }
  exec { $file } $file, @$args;
  $fail->('spawn');
}
sub start {
  my ($id, $file, $cwd, $has, $mkdir, $argc, @rest) = @_;
  my @args = splice @rest, 0, $argc;
  my ($er, $ew, $or, $ow, $xr, $xw);
  my $pid = pipe($er, $ew) && pipe($or, $ow) && pipe($xr, $xw) ? fork : undef;
  if (!defined $pid) { put(2, $id, 'spawn ' . ($! + 0)); close $_ for grep { defined } $er, $ew, $or, $ow, $xr, $xw; return }
  if ($pid == 0) { eval { child($ew, $ow, $xw, $file, $cwd, $has ? $mkdir : undef, \@args, \@rest) }; POSIX::_exit(127) }
  close $ew; close $ow; close $xw;
  my $k = { id => $id, pid => $pid, exec => $er, out => $or, err => $xr };
  $kids{$id} = $k; $byPid{$pid} = $k;
}
sub drop { my ($k, $which) = @_; close $k->{$which}; delete $k->{$which}; closed($k) }
sub closed {
  my ($k) = @_;
  return if $k->{out} || $k->{err} || !defined $k->{end} || $k->{exec};
  put(6, $k->{id}, ''); delete $kids{$k->{id}};
}
sub execDone {
  my ($k) = @_;
  my $why = ''; my $n = sysread($k->{exec}, $why, 64);
  return if !defined $n && ($!{EINTR} || $!{EAGAIN});
  close $k->{exec}; delete $k->{exec};
  if ($why eq '') { put(1, $k->{id}, $k->{pid}); return closed($k) }
  put(2, $k->{id}, $why); $k->{failed} = 1;
  close $k->{out}; close $k->{err}; delete @$k{qw(out err)}; delete $kids{$k->{id}};
}
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $k = delete $byPid{$pid} or next;
    my $status = $?;
    execDone($k) while $k->{exec};
    next if $k->{failed};
    $k->{end} = $status & 127 ? 's ' . ($status & 127) : 'c ' . ($status >> 8);
    put(5, $k->{id}, $k->{end}); closed($k);
  }
}
my $in = '';
sub turn {
  my ($rout) = @_;
  for my $k (values %kids) { execDone($k) if $k->{exec} && vec($rout, fileno($k->{exec}), 1) }
  for my $k (values %kids) {
    for my $which (qw(out err)) {
      next unless $k->{$which} && vec($rout, fileno($k->{$which}), 1);
      execDone($k) while $k->{exec};
      my $n = sysread($k->{$which}, my $chunk, 65536);
      next if !defined $n && ($!{EINTR} || $!{EAGAIN});
      if ($n) { put($which eq 'out' ? 3 : 4, $k->{id}, $chunk) } else { drop($k, $which) }
    }
  }
  return unless vec($rout, 0, 1);
  my $n = sysread(STDIN, $in, 65536, length $in);
  return if !defined $n && ($!{EINTR} || $!{EAGAIN});
  finish() unless $n;
  while (length($in) >= 4) {
    my $len = unpack('N', $in);
    last if length($in) < 4 + $len;
    my @f = split /\0/, substr($in, 4, $len), -1;
    substr($in, 0, 4 + $len) = '';
    if ($f[0] eq 's') { push @todo, [@f[1 .. $#f]] }
    elsif ($f[0] eq 'r' && (my $k = $kids{$f[1]})) { $k->{$_} && drop($k, $_) for qw(out err) }
  }
}
binmode STDIN; binmode STDOUT;
fcntl(STDOUT, Fcntl::F_SETFL(), fcntl(STDOUT, Fcntl::F_GETFL(), 0) | Fcntl::O_NONBLOCK());
put(0, 0, '');
while (1) {
  my $rin = ''; vec($rin, 0, 1) = 1;
  my @read = length $out > 1048576 ? qw(exec) : qw(exec out err);
  for my $k (values %kids) { vec($rin, fileno($k->{$_}), 1) = 1 for grep { $k->{$_} } @read }
  my $wout; if (length $out) { $wout = ''; vec($wout, 1, 1) = 1 }
  my $ready = select(my $rout = $rin, $wout, undef, @todo ? 0 : %byPid ? 0.1 : undef);
  reap();
  flushOut() if $ready > 0 && defined $wout && vec($wout, 1, 1);
  turn($rout) if $ready > 0;
  # one fork per turn: what exec'd meanwhile is reported before the next
  start(@{ shift @todo }) if @todo;
}`

/** The argv marker that names the helper in `ps` and `/proc/<pid>/cmdline`. */
export const helperMarker = "podlet-spawn-helper"

interface Entry {
  readonly request: SpawnRequest
  readonly listeners: SpawnListeners
  /** set until the helper answers the spawn request */
  resume: ((result: Effect.Effect<Spawned, NodeJS.ErrnoException>) => void) | undefined
  pid: number | undefined
  exited: boolean
  /** the caller stopped waiting before the answer: the process is killed when it comes */
  abandoned: boolean
}

const killGroup = (pid: number): void => {
  try {
    process.kill(-pid, "SIGKILL")
  } catch {}
}

/** The error Node's `spawn` (`spawn <file> <CODE>`) or `mkdirSync` gives for `errno`, from the helper's `kind errno`. */
export const helperError = (request: SpawnRequest, answer: string): NodeJS.ErrnoException => {
  const [kind, number] = answer.split(" ")
  const errno = -Number(number)
  const [code, description] = getSystemErrorMap().get(errno) ?? [`Unknown system error ${errno}`, "unknown error"]
  const mkdir = kind === "mkdir" && request.mkdir !== undefined
  const error: NodeJS.ErrnoException = new Error(
    mkdir ? `${code}: ${description}, mkdir '${request.mkdir}'` : `spawn ${request.file} ${code}`
  )
  error.errno = errno
  error.code = code
  error.syscall = mkdir ? "mkdir" : `spawn ${request.file}`
  error.path = mkdir ? request.mkdir! : request.file
  if (!mkdir) Object.assign(error, { spawnargs: [...request.args] })
  return error
}

/** Signal numbers to Node's names (the first name of a number: SIGABRT, not SIGIOT). */
const signalNames = new Map<number, NodeJS.Signals>()
for (const [name, number] of Object.entries(constants.signals) as Array<[NodeJS.Signals, number]>)
  if (!signalNames.has(number)) signalNames.set(number, name)

/** The helper's `c <code>` or `s <signal number>` as Node's `exit` event gives it. */
export const helperEnd = (answer: string): ProcessEnd => {
  const value = Number(answer.slice(2))
  return answer.startsWith("s")
    ? { code: null, signal: signalNames.get(value) ?? (`SIG${value}` as NodeJS.Signals) }
    : { code: value, signal: null }
}

/** A request as the helper reads it: `length u32` then its fields, NUL-separated. */
const encode = (fields: ReadonlyArray<string>): Buffer => {
  const body = Buffer.from(fields.join("\0"))
  const head = Buffer.allocUnsafe(4)
  head.writeUInt32BE(body.length, 0)
  return Buffer.concat([head, body])
}

/** The spawn request's fields; undefined when a string holds a NUL (Node's `spawn` refuses those). */
const spawnFields = (id: number, request: SpawnRequest): Array<string> | undefined => {
  const fields = [
    "s",
    String(id),
    request.file,
    request.cwd,
    request.mkdir === undefined ? "" : "1",
    request.mkdir ?? "",
    String(request.args.length),
    ...request.args
  ]
  for (const name in request.env) fields.push(`${name}=${request.env[name]}`)
  return fields.some((field) => field.includes("\0")) ? undefined : fields
}

/** Requests closer together than this are written together (end of the event loop's turn). */
const coalesceMillis = 1

/** How long the helper may take to start before spawns are direct. */
const readyMillis = 10_000

/**
 * Starts the spawn helper (`perl -e helperScript`, without this environment's `PERL*` settings)
 * and waits until it is ready, so that no container waits for it to boot; `spawnDirect` when it
 * cannot start (no `perl`).
 */
export const startSpawnHelper: Effect.Effect<Spawner> = Effect.suspend(() => {
  const helper = makeSpawnHelper()
  if (helper === undefined) return Effect.succeed(spawnDirect)
  return helper.ready.pipe(
    Effect.timeoutOption(readyMillis),
    Effect.map((ready) => {
      if (ready._tag === "Some" && ready.value) return helper.spawner
      helper.spawner.close()
      return spawnDirect
    })
  )
})

const makeSpawnHelper = (): { readonly spawner: Spawner; readonly ready: Effect.Effect<boolean> } | undefined => {
  const env: Record<string, string | undefined> = {}
  for (const name in process.env) if (!name.startsWith("PERL")) env[name] = process.env[name]
  let helper: ChildProcess | undefined
  try {
    helper = spawn("perl", ["-e", helperScript, helperMarker], {
      detached: true,
      env,
      stdio: ["pipe", "pipe", "ignore"]
    })
  } catch {
    return undefined
  }
  if (helper.pid === undefined) {
    helper.on("error", () => {})
    return undefined
  }
  const ready = Deferred.makeUnsafe<boolean>()
  const entries = new Map<number, Entry>()
  let nextId = 1
  let pending: Buffer = Buffer.alloc(0)
  let referenced = true

  /** Keeps this process alive while something runs through the helper (as direct children do). */
  const reference = (): void => {
    const wanted = entries.size > 0
    if (wanted === referenced || helper === undefined) return
    referenced = wanted
    const out = helper.stdout as { ref?: () => void; unref?: () => void } | null
    if (wanted) out?.ref?.()
    else out?.unref?.()
  }

  const forget = (id: number): void => {
    entries.delete(id)
    reference()
  }

  const onFrame = (type: number, id: number, body: Buffer): void => {
    if (type === frame.ready) Deferred.doneUnsafe(ready, Effect.succeed(true))
    const entry = entries.get(id)
    if (entry === undefined) return
    if (type === frame.spawned) {
      entry.pid = Number(body.toString())
      const resume = entry.resume
      entry.resume = undefined
      if (entry.abandoned) killGroup(entry.pid)
      else resume?.(Effect.succeed({ pid: entry.pid, release: () => release(id) }))
    } else if (type === frame.failed) {
      const resume = entry.resume
      forget(id)
      resume?.(Effect.fail(helperError(entry.request, body.toString())))
    } else if (type === frame.stdout || type === frame.stderr) {
      if (!entry.abandoned) entry.listeners.output(type === frame.stdout ? "stdout" : "stderr", body)
    } else if (type === frame.exit) {
      entry.exited = true
      if (!entry.abandoned) entry.listeners.exit(helperEnd(body.toString()))
    } else if (type === frame.close) {
      forget(id)
      if (!entry.abandoned) entry.listeners.close()
    }
  }

  const onData = (chunk: Buffer): void => {
    let buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (buffer.length >= headerBytes) {
      const length = buffer.readUInt32BE(5)
      if (buffer.length < headerBytes + length) break
      onFrame(buffer.readUInt8(0), buffer.readUInt32BE(1), buffer.subarray(headerBytes, headerBytes + length))
      buffer = buffer.subarray(headerBytes + length)
    }
    pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer)
  }

  /** The helper is gone: what ran through it is killed and ended; unanswered requests go direct. */
  const lost = (): void => {
    Deferred.doneUnsafe(ready, Effect.succeed(false))
    if (helper === undefined) return
    helper = undefined
    for (const [id, entry] of [...entries]) {
      entries.delete(id)
      if (entry.resume !== undefined) {
        const resume = entry.resume
        entry.resume = undefined
        if (!entry.abandoned) resume(startDirect(entry.request, entry.listeners))
        continue
      }
      if (entry.pid !== undefined) killGroup(entry.pid)
      if (entry.abandoned) continue
      if (!entry.exited) entry.listeners.exit({ code: null, signal: "SIGKILL" })
      entry.listeners.close()
    }
  }

  /** requests not yet written */
  let outgoing: Array<Buffer> = []
  /** when requests were last written (`performance.now()`) */
  let flushedAt = Number.NEGATIVE_INFINITY
  const flush = (): void => {
    const buffers = outgoing
    outgoing = []
    flushedAt = performance.now()
    if (buffers.length > 0) helper?.stdin?.write(buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers))
  }
  /**
   * Sends a request, in order: at once when nothing was written for `coalesceMillis` (the helper
   * starts on it while this process goes on, however long its turn of the event loop), else with
   * the others of this turn (`setImmediate`): one write, one wake-up of the helper.
   */
  const send = (fields: ReadonlyArray<string>): void => {
    const first = outgoing.length === 0
    outgoing.push(encode(fields))
    if (performance.now() - flushedAt >= coalesceMillis) flush()
    else if (first) setImmediate(flush)
  }

  const release = (id: number): void => send(["r", String(id)])

  helper.on("error", () => {})
  helper.stdin?.on("error", () => {})
  helper.stdout?.on("data", onData)
  // after its stdout is read to the end: every frame it wrote is heard first
  helper.once("close", lost)
  helper.unref()
  ;(helper.stdin as { unref?: () => void } | null)?.unref?.()
  reference()

  const spawner: Spawner = {
    spawn: (request, listeners) =>
      Effect.suspend(() => {
        const id = nextId++
        const fields = spawnFields(id, request)
        if (helper === undefined || fields === undefined) return startDirect(request, listeners)
        return Effect.callback<Spawned, NodeJS.ErrnoException>((resume) => {
          const entry: Entry = { request, listeners, resume, pid: undefined, exited: false, abandoned: false }
          entries.set(id, entry)
          reference()
          send(fields)
          return Effect.sync(() => {
            entry.abandoned = true
            entry.resume = undefined
          })
        })
      }),
    close: () => {
      const running = helper
      if (running === undefined) return
      flush()
      running.stdin?.end()
    },
    helperPid: () => helper?.pid
  }
  return { spawner, ready: Deferred.await(ready) }
}
