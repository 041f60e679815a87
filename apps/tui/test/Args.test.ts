import { describe, expect, it } from "vitest"
import { parseArgs, parseDuration } from "../src/Args.js"

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["45", 45_000],
    ["1.5m", 90_000]
  ])("%s", (text, ms) => expect(parseDuration(text)).toBe(ms))

  it.each(["", "ten", "10x", "5m junk"])("rejects %j", (text) => expect(parseDuration(text)).toBeUndefined())
})

describe("parseArgs", () => {
  it("passes serve's flags through to the API server", () => {
    expect(parseArgs(["serve", "--port", "7000"])).toEqual({ _tag: "Serve", flags: ["--port", "7000"] })
  })

  it("opens the dashboard by default, or on a remote cluster", () => {
    expect(parseArgs([])).toEqual({ _tag: "Dashboard", target: { _tag: "Embedded", runtime: { _tag: "Simulated" } } })
    expect(parseArgs(["--server", "http://127.0.0.1:6443", "--token=t"])).toEqual({
      _tag: "Dashboard",
      target: { _tag: "Server", server: "http://127.0.0.1:6443", token: "t" }
    })
    expect(parseArgs(["--server", "https://h:6443", "--certificate-authority", "ca.crt"])).toEqual({
      _tag: "Dashboard",
      target: { _tag: "Server", server: "https://h:6443", certificateAuthority: "ca.crt" }
    })
    expect(parseArgs(["--insecure-skip-tls-verify", "--server", "https://h:6443", "--token", "t"])).toEqual({
      _tag: "Dashboard",
      target: { _tag: "Server", server: "https://h:6443", token: "t", insecureSkipTlsVerify: true }
    })
    expect(parseArgs(["--server", "https://h:6443", "--insecure-skip-tls-verify=false"])).toEqual({
      _tag: "Dashboard",
      target: { _tag: "Server", server: "https://h:6443" }
    })
    expect(parseArgs(["--kubeconfig", "kc.yaml", "--context", "kind-kind"])).toEqual({
      _tag: "Dashboard",
      target: { _tag: "Kubeconfig", kubeconfig: "kc.yaml", context: "kind-kind" }
    })
  })

  it.each([
    [["--server", "u", "--kubeconfig", "k"], /cannot be used together/],
    [["--server", "u", "--context", "c"], /--context goes with --kubeconfig/],
    [["--kubeconfig", "k", "--token", "t"], /--token goes with --server/],
    [["--token", "t"], /--token needs --server or --kubeconfig/],
    [["--kubeconfig", "k", "--insecure-skip-tls-verify"], /--insecure-skip-tls-verify goes with --server/],
    [["--server", "u", "--insecure-skip-tls-verify=yes"], /takes no value/],
    [["--server", "u", "--insecure-skip-tls-verify", "--certificate-authority", "c"], /cannot be used together/],
    [["--server"], /--server needs a value/],
    [["--bogus"], /unknown flag --bogus/]
  ])("rejects dashboard flags %j", (argv, message) => {
    const parsed = parseArgs(argv)
    expect(parsed._tag === "Invalid" && parsed.message).toMatch(message)
  })

  it("parses run with its flags in either form", () => {
    expect(parseArgs(["run", "a.yaml", "b.yaml", "--for", "90s", "--output=json"])).toEqual({
      _tag: "Run",
      files: ["a.yaml", "b.yaml"],
      forMs: 90_000,
      output: "json",
      runtime: { _tag: "Simulated" }
    })
    expect(parseArgs(["run", "a.yaml"])).toMatchObject({ forMs: 600_000, output: "text" })
  })

  const simulated = { _tag: "Simulated" }
  it.each([
    [[], simulated],
    [["--runtime", "simulated"], simulated],
    [["--runtime", "simulated", "--isolation", "auto"], simulated],
    [["--runtime", "process"], { _tag: "Process", isolation: "auto" }],
    [["--runtime=process", "--isolation=host"], { _tag: "Process", isolation: "host" }],
    [
      ["--runtime", "process", "--isolation", "linux", "--registry", "localhost:5000"],
      { _tag: "Process", isolation: "linux", registry: "localhost:5000" }
    ],
    [
      ["--registry=https://registry-1.docker.io", "--runtime", "process"],
      { _tag: "Process", isolation: "auto", registry: "https://registry-1.docker.io" }
    ]
  ])("the dashboard and run take the runtime flags %j", (flags, runtime) => {
    expect(parseArgs(flags)).toEqual({ _tag: "Dashboard", target: { _tag: "Embedded", runtime } })
    expect(parseArgs(["dashboard", ...flags])).toEqual({ _tag: "Dashboard", target: { _tag: "Embedded", runtime } })
    expect(parseArgs(["run", "pod.yaml", ...flags])).toMatchObject({ _tag: "Run", files: ["pod.yaml"], runtime })
  })

  it.each([
    [["--runtime", "docker"], "--runtime must be simulated or process, got docker"],
    [["--runtime", "process", "--isolation", "vm"], "--isolation must be auto or host or linux, got vm"],
    [
      ["--runtime", "process", "--registry", "ftp://x/y"],
      "--registry must be host[:port] or an http(s) URL, got ftp://x/y"
    ],
    [["--isolation", "host"], "--isolation and --registry apply to --runtime process"],
    [["--registry", "localhost:5000"], "--isolation and --registry apply to --runtime process"],
    [["--runtime"], "--runtime needs a value"],
    [["--isolation="], "--isolation needs a value"]
  ])("explains what is wrong with the runtime flags %j", (flags, message) => {
    expect(parseArgs(flags)).toEqual({ _tag: "Invalid", message })
    expect(parseArgs(["run", "pod.yaml", ...flags])).toEqual({ _tag: "Invalid", message })
  })

  it("takes the runtime flags only for the embedded cluster", () => {
    expect(parseArgs(["--server", "http://127.0.0.1:6443", "--runtime", "process"])).toEqual({
      _tag: "Invalid",
      message: "--runtime, --isolation and --registry apply to the embedded cluster, not --server or --kubeconfig"
    })
  })

  it.each([
    [["run"], /run needs at least one FILE/],
    [["run", "a.yaml", "--for"], /--for needs a value/],
    [["run", "a.yaml", "--for", "soon"], /not a duration: soon/],
    [["run", "a.yaml", "--output", "xml"], /--output must be text or json/],
    [["run", "a.yaml", "--bogus"], /unknown flag --bogus/],
    [["explode"], /unknown command "explode"/]
  ])("explains what is wrong with %j", (argv, message) => {
    const parsed = parseArgs(argv)
    expect(parsed._tag).toBe("Invalid")
    expect(parsed._tag === "Invalid" && parsed.message).toMatch(message)
  })
})
