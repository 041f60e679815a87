import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { decodeProtobuf } from "../src/Protobuf.js"
import { type TestApp, testApp } from "./support.js"

// bodies kubectl 1.32 sent for `create namespace n1`, `create configmap c1 --from-literal=a=b
// --from-file=pod.yaml` and `create secret generic s1 --from-literal=pw=secret`
const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)))
const namespaceBody = hex(
  "6b3873000a0f0a02763112094e616d657370616365121a0a120a026e3112001a0022002a0032003800420012001a020a001a002200"
)
const configMapBody = hex(
  "6b3873000a0f0a0276311209436f6e6669674d617012cb010a120a02633112001a0022002a0032003800420012060a016112016212ac010a08706f642e79616d6c129f0161706956657273696f6e3a2076310a6b696e643a20506f640a6d657461646174613a0a20206e616d653a207765620a20206c6162656c733a207b6170703a207765627d0a737065633a0a2020636f6e7461696e6572733a0a20202d206e616d653a206e67696e780a20202020696d6167653a206e67696e783a312e32380a20202020706f7274733a205b7b636f6e7461696e6572506f72743a2038307d5d0a1a002200"
)
const secretBody = hex(
  "6b3873000a0c0a027631120653656372657412240a120a02733112001a0022002a00320038004200120c0a02707712067365637265741a001a002200"
)

describe("decodeProtobuf", () => {
  it("decodes kubectl's Namespace", () => {
    expect(decodeProtobuf(namespaceBody)).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "n1" },
      spec: {},
      status: {}
    })
  })

  it("decodes kubectl's ConfigMap, data entries from literals and files", () => {
    const cm = decodeProtobuf(configMapBody) as unknown as { metadata: unknown; data: Record<string, string> }
    expect(cm.metadata).toEqual({ name: "c1" })
    expect(Object.keys(cm.data)).toEqual(["a", "pod.yaml"])
    expect(cm.data["a"]).toBe("b")
    expect(cm.data["pod.yaml"]).toMatch(/^apiVersion: v1\nkind: Pod\n/)
  })

  it("decodes kubectl's Secret with base64 data", () => {
    expect(decodeProtobuf(secretBody)).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s1" },
      data: { pw: btoa("secret") }
    })
  })

  it("refuses other kinds, bodies without the envelope and truncated bodies", () => {
    const pod = Uint8Array.from([
      0x6b, 0x38, 0x73, 0x00, 0x0a, 0x09, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x03, 0x50, 0x6f, 0x64
    ])
    expect(decodeProtobuf(pod)).toBe("unsupported")
    expect(decodeProtobuf(Uint8Array.from([1, 2, 3]))).toMatchObject({ _tag: "BadRequest" })
    expect(decodeProtobuf(secretBody.subarray(0, 30))).toMatchObject({ _tag: "BadRequest" })
  })
})

describe("protobuf POSTs", () => {
  let t: TestApp
  beforeEach(() => {
    t = testApp()
  })
  afterEach(() => t.dispose())

  const post = (path: string, body: Uint8Array) =>
    t.app.request(path, {
      method: "POST",
      headers: {
        "content-type": "application/vnd.kubernetes.protobuf",
        accept: "application/vnd.kubernetes.protobuf, */*"
      },
      body
    })

  it("creates what kubectl create namespace|configmap|secret send, answering JSON", async () => {
    const ns = await post("/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict", namespaceBody)
    expect(ns.status).toBe(201)
    expect(ns.headers.get("content-type")).toBe("application/json")
    expect(await ns.json()).toMatchObject({ kind: "Namespace", metadata: { name: "n1" } })
    const cm = await post("/api/v1/namespaces/n1/configmaps", configMapBody)
    expect(cm.status).toBe(201)
    expect(await cm.json()).toMatchObject({
      kind: "ConfigMap",
      metadata: { name: "c1", namespace: "n1" },
      data: { a: "b" }
    })
    const secret = await post("/api/v1/namespaces/n1/secrets", secretBody)
    expect(await secret.json()).toMatchObject({ kind: "Secret", data: { pw: btoa("secret") } })
  })

  it("answers 415 for protobuf bodies of other kinds and 400 for broken ones", async () => {
    const pod = Uint8Array.from([
      0x6b, 0x38, 0x73, 0x00, 0x0a, 0x09, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x03, 0x50, 0x6f, 0x64
    ])
    expect((await post("/api/v1/namespaces/default/pods", pod)).status).toBe(415)
    expect((await post("/api/v1/namespaces/default/secrets", secretBody.subarray(0, 30))).status).toBe(400)
  })
})
