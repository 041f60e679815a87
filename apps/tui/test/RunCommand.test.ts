import { describe, expect, it } from "vitest"
import { runCommand } from "../src/RunCommand.js"

const echoPod = `apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  restartPolicy: Never
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", "echo hi"]
`

const run = async (args: Parameters<typeof runCommand>[0], manifest: string) => {
  const out: Array<string> = []
  const code = await runCommand(args, { readManifest: async () => manifest, write: (s) => out.push(s) })
  return { code, text: out.join("") }
}

describe("podlet run", () => {
  it("on the simulated runtime: the virtual clock, transitions only (no logs)", async () => {
    const { code, text } = await run({ files: ["pod.yaml"], forMs: 10_000, output: "text" }, echoPod)
    expect(code).toBe(0)
    expect(text).toBe("+0s  hello  - -> Completed  app exited 0\n")
  })

  it("on the process runtime (host mode): a real `sh -c` reaches Succeeded, then its log, then the run ends", async () => {
    const { code, text } = await run(
      {
        files: ["pod.yaml"],
        forMs: 60_000,
        output: "text",
        runtime: { _tag: "Process", isolation: "host" }
      },
      echoPod
    )
    expect(code).toBe(0)
    // kubectl's STATUS of phase Succeeded
    expect(text).toMatch(/^\+\d+s {2}hello {2}\S+ -> Completed {2}app exited 0$/m)
    expect(text).toContain("  hello/app| hi\n")
    expect(text.indexOf("Completed")).toBeLessThan(text.indexOf("hello/app| hi"))
  })

  it("on the process runtime, --output json: the log as one JSON line per container", async () => {
    const { code, text } = await run(
      { files: ["pod.yaml"], forMs: 60_000, output: "json", runtime: { _tag: "Process", isolation: "host" } },
      echoPod
    )
    expect(code).toBe(0)
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toContainEqual({ pod: "hello", container: "app", log: ["hi"] })
    expect(lines.some((l) => l.to === "Completed")).toBe(true)
  })

  it("says which manifest is invalid", async () => {
    const { code, text } = await run({ files: ["bad.yaml"], forMs: 1_000, output: "text" }, "kind: Pod\nspec: 3\n")
    expect(code).toBe(1)
    expect(text).toMatch(/^podlet: bad\.yaml: /)
  })
})
