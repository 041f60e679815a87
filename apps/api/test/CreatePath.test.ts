/**
 * The create handler decides from a body read ahead (`prefetchBody`, as the routes do) without
 * suspending, and from the Request otherwise: both must answer alike, for good and bad input.
 */
import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import { ManagedRuntime } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { maxBodyBytes, prefetchBody } from "../src/Body.js"
import { respond } from "../src/Edge.js"
import { handleResource } from "../src/ResourceApp.js"
import { GroupVersions, resolveTarget } from "../src/Target.js"
import { pod, TABLE } from "./support.js"

const core = GroupVersions.find((g) => g.prefix === "/api/v1")!
const podsIn = (namespace: string) => resolveTarget(core, ["namespaces", namespace, "pods"])!

interface Case {
  readonly name: string
  readonly namespace?: string
  readonly query?: string
  readonly headers?: Record<string, string>
  readonly body: string | Uint8Array
}

const body = (value: unknown) => JSON.stringify(value)

const cases: ReadonlyArray<Case> = [
  { name: "a pod", body: body(pod("a", { app: "web" })) },
  { name: "a pod, dry run", query: "?dryRun=All", body: body(pod("a")) },
  {
    name: "a pod as YAML",
    headers: { "content-type": "application/yaml" },
    body: "metadata:\n  name: y\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
  },
  { name: "a pod as a Table", headers: { accept: TABLE }, body: body(pod("t")) },
  {
    name: "an unknown field, strict",
    query: "?fieldValidation=Strict",
    body: body({ ...pod("s"), spec: { containers: [{ name: "c", image: "i", bogus: 1 }] } })
  },
  {
    name: "an unknown field, warned",
    body: body({ ...pod("w"), spec: { containers: [{ name: "c", image: "i", bogus: 1 }] } })
  },
  { name: "bad dryRun", query: "?dryRun=Some", body: body(pod("a")) },
  { name: "bad fieldValidation", query: "?fieldValidation=Loud", body: body(pod("a")) },
  { name: "bad includeObject", query: "?includeObject=All", body: body(pod("a")) },
  { name: "bad includeObject and bad body", query: "?includeObject=All", body: "{" },
  { name: "malformed JSON", body: "{" },
  { name: "empty body", body: "" },
  { name: "bad UTF-8", body: new Uint8Array([0x7b, 0xff, 0x7d]) },
  { name: "nested too deep", body: `${"[".repeat(300)}${"]".repeat(300)}` },
  { name: "unsupported media type", headers: { "content-type": "text/plain" }, body: body(pod("a")) },
  { name: "declared too large", headers: { "content-length": `${maxBodyBytes + 1}` }, body: body(pod("a")) },
  {
    name: "a type error",
    body: body({ ...pod("e"), spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: "80" }] }] } })
  },
  { name: "another kind", body: body({ ...pod("k"), kind: "Service" }) },
  { name: "another namespace", body: body({ ...pod("n"), metadata: { name: "n", namespace: "other" } }) },
  { name: "no name", body: body({ ...pod(""), metadata: {} }) },
  { name: "an invalid name", body: body(pod("Not_A_Name")) },
  { name: "a namespace that does not exist", namespace: "nowhere", body: body(pod("a")) },
  { name: "not an object", body: "[1,2]" }
]

const request = (c: Case) =>
  new Request(`http://x/api/v1/namespaces/${c.namespace ?? "default"}/pods${c.query ?? ""}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...c.headers },
    body: c.body
  })

/** status, headers and body, with what differs between two stores (uid, timestamps) blanked */
const answer = async (response: Response) => ({
  status: response.status,
  headers: [...response.headers.entries()],
  body: (await response.text())
    .replace(/"uid":"[^"]*"/g, '"uid":"-"')
    .replace(/"creationTimestamp":"[^"]*"/g, '"creationTimestamp":"-"')
    .replace(/"resourceVersion":"[^"]*"/g, '"resourceVersion":"-"')
})

const runtimes: Array<ManagedRuntime.ManagedRuntime<unknown, never>> = []
const fresh = () => {
  const runtime = ManagedRuntime.make(StoreMemory.layer)
  runtimes.push(runtime as never)
  return runtime
}
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.dispose()
})

describe("the create handler with the body read ahead and without", () => {
  for (const c of cases) {
    it(`answers alike: ${c.name}`, async () => {
      const target = podsIn(c.namespace ?? "default")
      const read = request(c)
      const fromRequest = await answer(await respond(fresh(), handleResource(target, read)))
      const ahead = request(c)
      await prefetchBody(ahead)
      const fromAhead = await answer(await respond(fresh(), handleResource(target, ahead)))
      expect(fromAhead).toEqual(fromRequest)
    })
  }

  it("answers alike for a second create of the same name (409)", async () => {
    const c = cases[0]!
    const runtime = fresh()
    await respond(runtime, handleResource(podsIn("default"), request(c)))
    const again = request(c)
    const fromRequest = await answer(await respond(runtime, handleResource(podsIn("default"), again)))
    const ahead = request(c)
    await prefetchBody(ahead)
    const fromAhead = await answer(await respond(runtime, handleResource(podsIn("default"), ahead)))
    expect(fromRequest.status).toBe(409)
    expect(fromAhead).toEqual(fromRequest)
  })
})
