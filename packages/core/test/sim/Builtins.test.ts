import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { TestClock } from "effect/testing"
import { formatDate, parseDuration, parseStressBytes } from "../../src/sim/Builtins.js"
import { VirtualFs } from "../../src/sim/VirtualFs.js"
import { advanceTo, sh, start } from "./support.js"

const outOf = (script: string) => Effect.map(sh(script), (r) => r.out)

describe("builtins", () => {
  it.each([
    ["1", 1],
    ["0.5", 0.5],
    ["1.5s", 1.5],
    ["2m", 120],
    ["1h", 3600],
    ["1d", 86400],
    ["infinity", Number.POSITIVE_INFINITY],
    ["abc", undefined],
    ["-1", undefined]
  ])("parseDuration(%j) = %j", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  it.effect("sleep waits on the virtual clock (fractions and suffixes, summed)", () =>
    Effect.gen(function* () {
      const r = yield* start("echo start; sleep 0.5; echo half; sleep 1m 1s; echo later; sleep infinity")
      expect(r.out).toEqual(["start"])
      yield* advanceTo(499)
      expect(r.out).toEqual(["start"])
      yield* advanceTo(500)
      expect(r.timed.at(-1)).toEqual({ at: 500, line: "half" })
      yield* advanceTo(61_500)
      expect(r.timed.at(-1)).toEqual({ at: 61_500, line: "later" })
      yield* TestClock.adjust("1000 days")
      expect(r.fiber.pollUnsafe()).toBeUndefined()
    })
  )

  it.effect("sleep rejects bad numbers", () =>
    Effect.gen(function* () {
      expect(yield* sh("sleep abc")).toMatchObject({ code: 1, err: ["sleep: invalid number 'abc'"] })
    })
  )

  it.effect("true, false, :", () =>
    Effect.gen(function* () {
      expect(yield* outOf("true; echo $?; false; echo $?; :; echo $?")).toEqual(["0", "1", "0"])
    })
  )

  it.effect("echo with -n and -e", () =>
    Effect.gen(function* () {
      expect(
        yield* outOf("echo -n a; echo -n b; echo c; echo -e 'x\\ty\\nz'; echo 'no\\tescape'; echo -ne 'p\\n'")
      ).toEqual(["abc", "x\ty", "z", "no\\tescape", "p"])
    })
  )

  it.effect("printf with %s %d %% and escapes, reusing the format", () =>
    Effect.gen(function* () {
      expect(
        yield* outOf(
          `printf '%s=%d %%\\n' a 1 b 2; printf '%05d|%-4s|%x|%.2f\\n' 42 ab 255 3.14159; printf 'no newline'`
        )
      ).toEqual(["a=1 %", "b=2 %", "00042|ab  |ff|3.14", "no newline"])
    })
  )

  it.effect("cat prints files and reports missing ones like busybox", () =>
    Effect.gen(function* () {
      const fs = VirtualFs.make({ files: { "/etc/motd": "welcome\n" } })
      const r = yield* sh("cat /etc/motd x; echo $?", { fs })
      expect(r.out).toEqual(["welcome", "1"])
      expect(r.err).toEqual(["cat: can't open 'x': No such file or directory"])
    })
  )

  it.effect("touch, rm (-f, -r), mkdir (-p), ls", () =>
    Effect.gen(function* () {
      const r = yield* sh(`
mkdir /a/b; echo "mkdir $?"
mkdir -p /a/b/c && touch /a/b/c/f /a/x
ls /a; ls /a/b/c
rm /a/missing; echo "rm $?"
rm -f /a/missing; echo "rm -f $?"
rm /a/b; echo "rm dir $?"
rm -r /a/b; ls /a
`)
      expect(r.out).toEqual(["mkdir 1", "b", "x", "f", "rm 1", "rm -f 0", "rm dir 1", "x"])
      expect(r.err).toEqual([
        "mkdir: can't create directory '/a/b': No such file or directory",
        "rm: can't remove '/a/missing': No such file or directory",
        "rm: '/a/b' is a directory"
      ])
    })
  )

  it.effect("test and [ ]: files, strings, integers, negation", () =>
    Effect.gen(function* () {
      const fs = VirtualFs.make({ files: { "/tmp/healthy": "" } })
      const checks = [
        "[ -f /tmp/healthy ]",
        "[ -e /tmp/healthy ]",
        "[ ! -d /tmp/healthy ]",
        "[ -d /tmp ]",
        "[ -z '' ]",
        "[ -n x ]",
        "[ a = a ]",
        "[ a != b ]",
        "[ 3 -eq 3 ]",
        "[ 3 -ne 4 ]",
        "[ 2 -lt 3 ]",
        "[ 3 -le 3 ]",
        "[ 4 -gt 3 ]",
        "[ 3 -ge 3 ]",
        "test -f /tmp/healthy -a -n x",
        "[ -f /nope -o 1 -eq 1 ]",
        "[ x ]",
        "! [ '' ]"
      ]
      const r = yield* sh(checks.map((c) => `${c} && echo ok || echo "fail: ${c.replace(/'/g, "")}"`).join("\n"), {
        fs
      })
      expect(r.out).toEqual(checks.map(() => "ok"))
      expect(yield* sh("[ 1 -eq x ]")).toMatchObject({ code: 2, err: ["sh: x: bad number"] })
      expect(yield* sh("[ 1 = 1")).toMatchObject({ code: 2, err: ["sh: [: missing ]"] })
    })
  )

  it.effect("hostname, id, whoami, uname", () =>
    Effect.gen(function* () {
      expect(yield* outOf("hostname; whoami; uname; uname -n; id -u")).toEqual(["web-0", "root", "Linux", "web-0", "0"])
      const r = yield* sh("id; whoami", { user: { uid: 1000, gid: 3000, groups: [2000] } })
      expect(r.out).toEqual(["uid=1000 gid=3000 groups=2000"])
      expect(r.err).toEqual(["whoami: unknown uid 1000"])
    })
  )

  it.effect("hostname -i reads /etc/hosts", () =>
    Effect.gen(function* () {
      const fs = VirtualFs.make({
        files: { "/etc/hosts": "127.0.0.1\tlocalhost\n10.244.0.7\tweb-0.web.default.svc.cluster.local\tweb-0\n" }
      })
      expect((yield* sh("hostname -i; hostname -f", { fs })).out).toEqual([
        "10.244.0.7",
        "web-0.web.default.svc.cluster.local"
      ])
    })
  )

  it.effect("date prints the virtual clock in busybox format", () =>
    Effect.gen(function* () {
      expect(yield* outOf("date")).toEqual(["Thu Jan  1 00:00:00 UTC 1970"])
      yield* TestClock.adjust("36 hours")
      expect(yield* outOf("date; date +%s; date '+%Y-%m-%dT%H:%M:%S'; date -u +%T")).toEqual([
        "Fri Jan  2 12:00:00 UTC 1970",
        "129600",
        "1970-01-02T12:00:00",
        "12:00:00"
      ])
    })
  )

  it("formatDate pads days with a space like busybox", () => {
    expect(formatDate(Date.UTC(2024, 2, 5, 7, 8, 9), "%a %b %e %H:%M:%S %Z %Y")).toBe("Tue Mar  5 07:08:09 UTC 2024")
  })

  it.effect("seq, wc -l, grep -q, head, tail", () =>
    Effect.gen(function* () {
      expect(yield* outOf("seq 3; seq 2 4 | wc -l; seq 5 -2 1 | tr '\\n' ' '; echo; seq -s, 1 3")).toEqual([
        "1",
        "2",
        "3",
        "3",
        "5 3 1 ",
        "1,2,3"
      ])
      expect(
        yield* outOf("seq 10 | head -n 2; seq 10 | tail -n 2; seq 10 | head -3 | tail -1; seq 5 | tail -n +4")
      ).toEqual(["1", "2", "9", "10", "3", "4", "5"])
      expect(
        yield* outOf(
          "echo 'status: ready' | grep -q ready && echo found; echo abc | grep -q 'x' || echo missing; printf 'a1\\nb2\\na3\\n' | grep '^a'; printf 'a\\nb\\n' | grep -c -v a; echo Hello | grep -qi hello && echo ci"
        )
      ).toEqual(["found", "missing", "a1", "a3", "1", "ci"])
    })
  )

  it.effect("grep on files: missing file is status 2", () =>
    Effect.gen(function* () {
      const r = yield* sh("grep x /nope; echo $?")
      expect(r.out).toEqual(["2"])
      expect(r.err).toEqual(["grep: can't open '/nope': No such file or directory"])
    })
  )

  it.effect("expr arithmetic, comparison and status", () =>
    Effect.gen(function* () {
      expect(yield* outOf("expr 1 + 2; expr 7 / 2; expr 3 \\> 2; expr length hello; expr 0 + 0; echo $?")).toEqual([
        "3",
        "3",
        "1",
        "5",
        "0",
        "1"
      ])
      expect(yield* sh("expr a + 1")).toMatchObject({ code: 2, err: ["expr: non-numeric argument"] })
    })
  )

  it.effect("env and printenv list the exported environment", () =>
    Effect.gen(function* () {
      const r = yield* sh("env | grep -c '^PATH='; env FOO=bar printenv FOO; printenv NOPE; echo $?", {
        env: { A: "1" }
      })
      expect(r.out).toEqual(["1", "bar", "1"])
    })
  )

  it.effect("kill -TERM $$ runs the TERM trap", () =>
    Effect.gen(function* () {
      expect(yield* outOf("trap 'echo got TERM' TERM; kill -TERM $$; echo after")).toEqual(["got TERM", "after"])
      expect(yield* outOf("trap 'echo got 15' 15; kill $$; echo after")).toEqual(["got 15", "after"])
    })
  )

  it.effect("kill -9 $$ ends the script with 137", () =>
    Effect.gen(function* () {
      expect(yield* sh("echo before; kill -9 $$; echo after")).toMatchObject({ code: 137, out: ["before"] })
    })
  )

  it.effect("kill of a background job interrupts it", () =>
    Effect.gen(function* () {
      const r = yield* start("sleep 1000 & p=$!; sleep 1; kill $p; wait $p; echo status $?")
      yield* advanceTo(1000)
      expect(r.out).toEqual(["status 143"])
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
    })
  )

  it.effect("tail -f follows a growing file", () =>
    Effect.gen(function* () {
      const fs = VirtualFs.make({ files: { "/var/log/app.log": "first\n" } })
      const r = yield* start("tail -f /var/log/app.log", { fs })
      expect(r.out).toEqual(["first"])
      fs.writeFile("/var/log/app.log", "second\n", true)
      yield* advanceTo(1000)
      expect(r.out).toEqual(["first", "second"])
      expect(r.fiber.pollUnsafe()).toBeUndefined()
    })
  )

  it.effect("tail -f /dev/null blocks forever", () =>
    Effect.gen(function* () {
      const r = yield* start("tail -f /dev/null")
      yield* TestClock.adjust("1 days")
      expect(r.fiber.pollUnsafe()).toBeUndefined()
    })
  )

  it.effect("timeout ends a slow command with 143", () =>
    Effect.gen(function* () {
      const r = yield* start("timeout 5 sleep 60; echo $?; timeout 5 true; echo $?")
      yield* advanceTo(5000)
      expect(r.out).toEqual(["143", "0"])
    })
  )

  it.each([
    ["250M", 250 * 1024 * 1024],
    ["1G", 1024 ** 3],
    ["512k", 512 * 1024],
    ["100", 100],
    ["x", undefined]
  ])("parseStressBytes(%j) = %j", (text, bytes) => {
    expect(parseStressBytes(text)).toBe(bytes)
  })
})
