// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell scripts spell parameters as ${NAME}
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { VirtualFs } from "../../src/sim/VirtualFs.js"
import { advanceTo, argv, sh, start } from "./support.js"

const outOf = (script: string) => Effect.map(sh(script), (r) => r.out)

describe("shell language", () => {
  it.effect("sequences with ; and newlines, comments ignored", () =>
    Effect.gen(function* () {
      expect(yield* outOf("echo a; echo b\n# a comment\necho c # trailing\n\n  echo d")).toEqual(["a", "b", "c", "d"])
    })
  )

  it.effect("&&, || and ! by exit status", () =>
    Effect.gen(function* () {
      expect(
        yield* outOf("true && echo t1; false && echo f1; false || echo f2; true || echo t2; ! false && echo n")
      ).toEqual(["t1", "f2", "n"])
      expect((yield* sh("! true")).code).toBe(1)
      expect((yield* sh("false || false")).code).toBe(1)
    })
  )

  it.effect("if / elif / else / fi", () =>
    Effect.gen(function* () {
      const s = (x: string) =>
        `X=${x}\nif [ "$X" = a ]; then\n  echo A\nelif [ "$X" = b ]; then echo B\nelse echo C; fi`
      expect(yield* outOf(s("a"))).toEqual(["A"])
      expect(yield* outOf(s("b"))).toEqual(["B"])
      expect(yield* outOf(s("z"))).toEqual(["C"])
      expect((yield* sh("if false; then echo no; fi")).code).toBe(0)
    })
  )

  it.effect("while and until loops", () =>
    Effect.gen(function* () {
      expect(yield* outOf("i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done")).toEqual(["0", "1", "2"])
      expect(yield* outOf("i=0; until [ $i -ge 2 ]; do i=`expr $i + 1`; echo u$i; done")).toEqual(["u1", "u2"])
    })
  )

  it.effect('for over words, brace ranges, $(seq) and "$@"', () =>
    Effect.gen(function* () {
      expect(yield* outOf("for x in a 'b c' d; do echo $x; done")).toEqual(["a", "b c", "d"])
      expect(yield* outOf("for i in {1..3}; do echo $i; done")).toEqual(["1", "2", "3"])
      expect(yield* outOf("for i in $(seq 2 4); do echo n$i; done")).toEqual(["n2", "n3", "n4"])
      expect(yield* outOf(`set -- "x y" z; for a in "$@"; do echo "[$a]"; done; for a; do echo $a; done`)).toEqual([
        "[x y]",
        "[z]",
        "x y",
        "z"
      ])
    })
  )

  it.effect("break and continue, with levels", () =>
    Effect.gen(function* () {
      expect(yield* outOf("for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done")).toEqual([
        "1",
        "3"
      ])
      expect(
        yield* outOf(
          "for i in 1 2; do for j in a b; do [ $j = b ] && continue 2; [ $i = 2 ] && break 2; echo $i$j; done; done; echo end"
        )
      ).toEqual(["1a", "end"])
      expect(yield* outOf("while true; do echo once; break; done")).toEqual(["once"])
    })
  )

  it.effect("variables and parameter expansion", () =>
    Effect.gen(function* () {
      expect(yield* outOf('X=1; echo $X ${X} "${X}x" ${Y:-dflt} ${Y-unset} ${X:+set} "${#X}"')).toEqual([
        "1 1 1x dflt unset set 1"
      ])
      expect(yield* outOf('echo ${Z:=zz}; echo $Z; E=; echo "[${E:-e}]" "[${E-e}]"')).toEqual(["zz", "zz", "[e] []"])
      expect(yield* outOf("H=web-12; F=a.tar.gz; echo ${H##*-} ${F%.*} ${F%%.*} ${F#*.}")).toEqual([
        "12 a.tar a tar.gz"
      ])
      const r = yield* sh("echo ${NOPE:?must be set}; echo after")
      expect(r).toMatchObject({ code: 2, out: [], err: ["sh: NOPE: must be set"] })
    })
  )

  it.effect("$? and $$", () =>
    Effect.gen(function* () {
      expect(yield* outOf("false; echo $?; true; echo $?; sh -c 'exit 7'; echo $?; echo $$")).toEqual([
        "1",
        "0",
        "7",
        "1"
      ])
    })
  )

  it.effect("command substitution with $(...) and backticks, nested", () =>
    Effect.gen(function* () {
      expect(yield* outOf('X=$(echo hi); Y=`echo there`; echo "$X $Y $(echo $(echo deep))"')).toEqual(["hi there deep"])
      expect(yield* outOf('L=$(printf "a\\nb\\n\\n"); echo "$L"')).toEqual(["a", "b"])
      expect((yield* sh("X=$(false)")).code).toBe(1)
    })
  )

  it.effect("quoting: single, double, escapes, field splitting", () =>
    Effect.gen(function* () {
      expect(yield* outOf(`X='a  b'; echo $X; echo "$X"; echo '$X'; echo \\$X "\\$X" "q\\"q" a\\ b`)).toEqual([
        "a b",
        "a  b",
        "$X",
        '$X $X q"q a b'
      ])
      expect(yield* outOf(`for w in $(echo "1 2  3"); do echo w$w; done`)).toEqual(["w1", "w2", "w3"])
      expect(yield* outOf(`echo "" | wc -l; X=; for a in $X; do echo never; done; echo ok`)).toEqual(["1", "ok"])
    })
  )

  it.effect("arithmetic with $((...)) and expr", () =>
    Effect.gen(function* () {
      expect(
        yield* outOf("i=5; echo $((i * 2 + 1)) $(( (1+2)*3 )) $((10 / 3)) $((10 % 3)) $((2**10)) $((i > 3 && i < 10))")
      ).toEqual(["11 9 3 1 1024 1"])
      expect(yield* outOf("n=1; : $((n+=4)); echo $n; expr 6 \\* 7; expr 10 - 3")).toEqual(["5", "42", "7"])
      expect(yield* sh("echo $((1/0)); echo after")).toMatchObject({ code: 2, err: ["sh: divide by zero"] })
    })
  )

  it.effect("export reaches env and child shells; plain variables do not", () =>
    Effect.gen(function* () {
      const r = yield* sh(
        "A=1; export B=2; export A; C=3; env | grep -E '^(A|B|C)=' | sort; sh -c 'echo ${A}${B}${C:-none}'; D=4 sh -c 'echo $D'"
      )
      expect(r.out).toEqual(["A=1", "B=2", "12none", "4"])
    })
  )

  it.effect("container env vars are exported variables", () =>
    Effect.gen(function* () {
      const r = yield* sh('echo "$GREETING $HOSTNAME"; printenv GREETING', { env: { GREETING: "hello" } })
      expect(r.out).toEqual(["hello web-0", "hello"])
    })
  )

  it.effect("set -e stops at the first failing command, not in conditions", () =>
    Effect.gen(function* () {
      const r = yield* sh(
        "set -e; if false; then :; fi; false || true; ! true; false && true; echo alive; false; echo never"
      )
      expect(r).toMatchObject({ code: 1, out: ["alive"] })
      expect((yield* argv(["sh", "-ec", "echo a; false; echo b"])).out).toEqual(["a"])
      expect((yield* argv(["sh", "-e", "-c", "exit 4"])).code).toBe(4)
      expect((yield* sh("set -e; set +e; false; echo on")).out).toEqual(["on"])
    })
  )

  it.effect("functions with arguments, locals and return", () =>
    Effect.gen(function* () {
      const r = yield* sh(`
greet() {
  local who=$1
  echo "hello $who ($#)"
  return 3
}
who=outer
greet world extra
echo "status $? who $who"
function twice { greet "$1"; greet "$1"; }
twice x >/dev/null; echo $?
`)
      expect(r.out).toEqual(["hello world (2)", "status 3 who outer", "3"])
    })
  )

  it.effect("case with patterns and alternatives", () =>
    Effect.gen(function* () {
      const s = (v: string) =>
        `case "${v}" in\n  start|run) echo go ;;\n  web-*) echo "ordinal \${1:-x}" ;;\n  *) echo other ;;\nesac`
      expect(yield* outOf(s("run"))).toEqual(["go"])
      expect(yield* outOf(s("web-3"))).toEqual(["ordinal x"])
      expect(yield* outOf(s("zzz"))).toEqual(["other"])
    })
  )

  it.effect("redirections: >, >>, 2>&1, < file, >/dev/null, here-documents", () =>
    Effect.gen(function* () {
      const r = yield* sh(`
echo one > /tmp/f
echo two >> /tmp/f
cat < /tmp/f
ls /nope 2>&1 | grep -c 'No such'
echo hidden >/dev/null
echo err >&2
cat missing 2>/dev/null || echo "cat failed $?"
cat <<EOF
name=$HOSTNAME
EOF
{ echo g1; echo g2; } > /tmp/g; wc -l < /tmp/g
echo x > /no/such/dir/f
`)
      expect(r.out).toEqual(["one", "two", "1", "cat failed 1", "name=web-0", "2"])
      expect(r.err).toEqual(["err", "sh: can't create /no/such/dir/f: nonexistent directory"])
      expect(r.code).toBe(1)
    })
  )

  it.effect("here-strings and nested quotes in parameter defaults", () =>
    Effect.gen(function* () {
      expect(
        yield* outOf('read a b <<< "x y"; echo "$b-$a"; echo "${NOPE:-"two words"}"; echo ${NOPE:-\'q\'}')
      ).toEqual(["y-x", "two words", "q"])
    })
  )

  it.effect("pipelines feed stdout to stdin; pipefail", () =>
    Effect.gen(function* () {
      expect(yield* outOf("printf 'b\\na\\nc\\n' | sort | head -n 2; echo hello | tr a-z A-Z")).toEqual([
        "a",
        "b",
        "HELLO"
      ])
      expect((yield* sh("false | true")).code).toBe(0)
      expect((yield* sh("set -o pipefail; false | true")).code).toBe(1)
      expect(yield* outOf("printf 'x 1\\ny 2\\n' | while read k v; do echo \"$v=$k\"; done")).toEqual(["1=x", "2=y"])
    })
  )

  it.effect("subshells and command substitutions do not leak state", () =>
    Effect.gen(function* () {
      expect(
        yield* outOf("X=1; (X=2; cd /tmp; exit 5); echo $X $? $(pwd); Y=$(Z=9; echo $Z); echo ${Z:-unset} $Y")
      ).toEqual(["1 5 /", "unset 9"])
    })
  )

  it.effect("cd and pwd, relative paths", () =>
    Effect.gen(function* () {
      const r = yield* sh("mkdir -p /srv/app; cd /srv; pwd; cd app; pwd; touch f; ls /srv/app; cd ..; pwd; cd /nope")
      expect(r.out).toEqual(["/srv", "/srv/app", "f", "/srv"])
      expect(r.err).toEqual(["sh: cd: can't cd to /nope: No such file or directory"])
    })
  )

  it.effect("an unknown command exits 127 with `sh: NAME: not found`", () =>
    Effect.gen(function* () {
      const r = yield* sh("nginx -g 'daemon off;'")
      expect(r).toMatchObject({ code: 127, err: ["sh: nginx: not found"] })
      expect((yield* sh("foo 2>/dev/null; echo $?")).out).toEqual(["127"])
    })
  )

  it.effect("exit codes wrap at 256 and exit defaults to $?", () =>
    Effect.gen(function* () {
      expect((yield* sh("exit 300")).code).toBe(44)
      expect((yield* sh("false; exit")).code).toBe(1)
      expect((yield* sh("echo done")).code).toBe(0)
    })
  )

  it.effect("eval, source, [[ ]], (( )) and read", () =>
    Effect.gen(function* () {
      const fs = VirtualFs.make({ files: { "/etc/app.env": "PORT=8080\nMODE=prod\n" } })
      const r = yield* sh(
        `cmd='echo evaluated'; eval "$cmd"
. /etc/app.env; echo $PORT $MODE
[[ $MODE == pr* && -f /etc/app.env ]] && echo cond
n=0; (( n += 2 )); echo $n
while read line; do echo "got $line"; done < /etc/app.env`,
        { fs }
      )
      expect(r.out).toEqual(["evaluated", "8080 prod", "cond", "2", "got PORT=8080", "got MODE=prod"])
    })
  )

  it.effect("pathname expansion against the virtual filesystem", () =>
    Effect.gen(function* () {
      const r = yield* sh(
        "mkdir -p /data; touch /data/a.log /data/b.log /data/c.txt; echo /data/*.log; cd /data; echo *.txt; echo none*; rm -f /data/*.log; ls /data"
      )
      expect(r.out).toEqual(["/data/a.log /data/b.log", "c.txt", "none*", "c.txt"])
    })
  )

  it.effect("background jobs with & and wait; $!", () =>
    Effect.gen(function* () {
      const r = yield* start("(sleep 2; echo bg; exit 3) & pid=$!; echo fg; wait $pid; echo status $?")
      expect(r.out).toEqual(["fg"])
      yield* advanceTo(2000)
      expect(r.timed).toEqual([
        { at: 0, line: "fg" },
        { at: 2000, line: "bg" },
        { at: 2000, line: "status 3" }
      ])
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
    })
  )

  it.effect("set -u reports unset variables", () =>
    Effect.gen(function* () {
      expect(yield* sh("set -u; echo $MISSING; echo no")).toMatchObject({
        code: 2,
        err: ["sh: MISSING: parameter not set"],
        out: []
      })
    })
  )

  it.effect("a syntax error prints the message and exits 2", () =>
    Effect.gen(function* () {
      expect(yield* sh("if true; then echo")).toMatchObject({
        code: 2,
        out: [],
        err: ['sh: syntax error: unexpected end of file (expecting "fi")']
      })
    })
  )
})

describe("long runs", () => {
  it.effect("an hour of a one-second loop keeps counting (no growth, no stack overflow)", () =>
    Effect.gen(function* () {
      const r = yield* start('i=0; while true; do i=$((i+1)); [ $((i % 600)) -eq 0 ] && echo "at $i"; sleep 1; done')
      yield* advanceTo(3_600_000)
      expect(r.timed.map((t) => `${t.at} ${t.line}`)).toEqual([
        "599000 at 600",
        "1199000 at 1200",
        "1799000 at 1800",
        "2399000 at 2400",
        "2999000 at 3000",
        "3599000 at 3600"
      ])
      expect(r.fiber.pollUnsafe()).toBeUndefined()
    })
  )

  it.effect("$RANDOM is deterministic per process", () =>
    Effect.gen(function* () {
      const a = yield* sh("echo $RANDOM $RANDOM")
      const b = yield* sh("echo $RANDOM $RANDOM")
      expect(a.out).toEqual(b.out)
      expect(a.out[0]).toMatch(/^\d+ \d+$/)
    })
  )

  it.effect("exec replaces the shell: its traps no longer run", () =>
    Effect.gen(function* () {
      const r = yield* start("trap 'echo trapped' TERM; exec sleep 10")
      yield* r.ctx.signals.deliver("TERM")
      yield* advanceTo(10_000)
      expect(r.out).toEqual([])
      expect(r.fiber.pollUnsafe()).toEqual(Exit.succeed(0))
    })
  )
})
