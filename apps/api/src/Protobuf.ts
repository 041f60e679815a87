/**
 * Kubernetes protobuf request bodies, for the kinds kubectl's typed commands send that way
 * (`kubectl create namespace|configmap|secret` POST `application/vnd.kubernetes.protobuf`): the
 * `k8s\0` envelope around a `runtime.Unknown`, then the object in the field numbers of
 * `k8s.io/api/core/v1/generated.proto`, decoded into the JSON shape. Other kinds are a 415.
 */
import { BadRequest } from "@podlet/core/api/Errors"
import type { KubeObject } from "@podlet/core/api/Meta"

/** The Content-Type of Kubernetes protobuf. */
export const protobufMediaType = "application/vnd.kubernetes.protobuf"

type Scalar = "string" | "bytes" | "int" | "bool" | "time"

/** How one field decodes; `base64` renders bytes as base64 (Secret and ConfigMap binary data). */
type Field =
  | { readonly name: string; readonly type: Scalar; readonly repeated?: true }
  | { readonly name: string; readonly type: "message"; readonly message: Message; readonly repeated?: true }
  | { readonly name: string; readonly type: "map"; readonly value: "string" | "base64" }
  | { readonly name: string; readonly type: "base64" }
  | { readonly name: string; readonly type: "json" }

interface Message {
  readonly [field: number]: Field
}

const ownerReference: Message = {
  1: { name: "kind", type: "string" },
  3: { name: "name", type: "string" },
  4: { name: "uid", type: "string" },
  5: { name: "apiVersion", type: "string" },
  6: { name: "controller", type: "bool" },
  7: { name: "blockOwnerDeletion", type: "bool" }
}

const fieldsV1: Message = { 1: { name: "raw", type: "json" } }

const managedFieldsEntry: Message = {
  1: { name: "manager", type: "string" },
  2: { name: "operation", type: "string" },
  3: { name: "apiVersion", type: "string" },
  4: { name: "time", type: "time" },
  6: { name: "fieldsType", type: "string" },
  7: { name: "fieldsV1", type: "message", message: fieldsV1 },
  8: { name: "subresource", type: "string" }
}

const objectMeta: Message = {
  1: { name: "name", type: "string" },
  2: { name: "generateName", type: "string" },
  3: { name: "namespace", type: "string" },
  5: { name: "uid", type: "string" },
  6: { name: "resourceVersion", type: "string" },
  7: { name: "generation", type: "int" },
  8: { name: "creationTimestamp", type: "time" },
  9: { name: "deletionTimestamp", type: "time" },
  10: { name: "deletionGracePeriodSeconds", type: "int" },
  11: { name: "labels", type: "map", value: "string" },
  12: { name: "annotations", type: "map", value: "string" },
  13: { name: "ownerReferences", type: "message", message: ownerReference, repeated: true },
  14: { name: "finalizers", type: "string", repeated: true },
  17: { name: "managedFields", type: "message", message: managedFieldsEntry, repeated: true }
}

const metadata: Field = { name: "metadata", type: "message", message: objectMeta }

const kinds: Readonly<Record<string, Message>> = {
  Namespace: {
    1: metadata,
    2: { name: "spec", type: "message", message: { 1: { name: "finalizers", type: "string", repeated: true } } },
    3: { name: "status", type: "message", message: { 1: { name: "phase", type: "string" } } }
  },
  ConfigMap: {
    1: metadata,
    2: { name: "data", type: "map", value: "string" },
    3: { name: "binaryData", type: "map", value: "base64" },
    4: { name: "immutable", type: "bool" }
  },
  Secret: {
    1: metadata,
    2: { name: "data", type: "map", value: "base64" },
    3: { name: "type", type: "string" },
    4: { name: "stringData", type: "map", value: "string" },
    5: { name: "immutable", type: "bool" }
  }
}

/** The kinds whose protobuf bodies podlet decodes. */
export const protobufKinds: ReadonlyArray<string> = Object.keys(kinds)

class Malformed extends Error {}

/** A protobuf wire reader over one message's bytes. */
class Reader {
  offset = 0
  constructor(readonly bytes: Uint8Array) {}
  get done() {
    return this.offset >= this.bytes.length
  }
  varint(): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (this.offset >= this.bytes.length || shift > 63n) throw new Malformed("truncated varint")
      const b = this.bytes[this.offset++]!
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
    }
  }
  take(n: number): Uint8Array {
    if (n < 0 || this.offset + n > this.bytes.length) throw new Malformed("truncated field")
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }
  /** the next field as (number, wire type, payload); payload is bytes for length-delimited fields */
  field(): { readonly number: number; readonly wire: number; readonly value: bigint | Uint8Array } {
    const key = this.varint()
    const number = Number(key >> 3n)
    const wire = Number(key & 7n)
    switch (wire) {
      case 0:
        return { number, wire, value: this.varint() }
      case 1:
        return { number, wire, value: this.take(8) }
      case 2:
        return { number, wire, value: this.take(Number(this.varint())) }
      case 5:
        return { number, wire, value: this.take(4) }
      default:
        throw new Malformed(`unsupported wire type ${wire}`)
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

const base64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

const asBytes = (value: bigint | Uint8Array): Uint8Array => {
  if (typeof value === "bigint") throw new Malformed("expected a length-delimited field")
  return value
}
const asInt = (value: bigint | Uint8Array): bigint => {
  if (typeof value !== "bigint") throw new Malformed("expected a varint")
  return value
}

const signed64 = (v: bigint) => Number(BigInt.asIntN(64, v))

const decodeTime = (bytes: Uint8Array): string | undefined => {
  const r = new Reader(bytes)
  let seconds = 0
  let nanos = 0
  while (!r.done) {
    const f = r.field()
    if (f.number === 1) seconds = signed64(asInt(f.value))
    else if (f.number === 2) nanos = Number(BigInt.asIntN(32, asInt(f.value)))
  }
  if (seconds === 0 && nanos === 0) return undefined
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString().replace(".000Z", "Z")
}

const decodeMapEntry = (bytes: Uint8Array, value: "string" | "base64"): readonly [string, string] => {
  const r = new Reader(bytes)
  let k = ""
  let v = ""
  while (!r.done) {
    const f = r.field()
    if (f.number === 1) k = utf8.decode(asBytes(f.value))
    else if (f.number === 2) v = value === "string" ? utf8.decode(asBytes(f.value)) : base64(asBytes(f.value))
  }
  return [k, v]
}

const decodeMessage = (bytes: Uint8Array, message: Message): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  const r = new Reader(bytes)
  while (!r.done) {
    const f = r.field()
    const field = message[f.number]
    if (field === undefined) continue
    let value: unknown
    switch (field.type) {
      case "string":
        value = utf8.decode(asBytes(f.value))
        break
      case "bytes":
      case "base64":
        value = base64(asBytes(f.value))
        break
      case "json":
        value = JSON.parse(utf8.decode(asBytes(f.value)))
        break
      case "int":
        value = signed64(asInt(f.value))
        break
      case "bool":
        value = asInt(f.value) !== 0n
        break
      case "time":
        value = decodeTime(asBytes(f.value))
        break
      case "message":
        value = decodeMessage(asBytes(f.value), field.message)
        break
      case "map": {
        const [k, v] = decodeMapEntry(asBytes(f.value), field.value)
        out[field.name] = { ...(out[field.name] as Record<string, string> | undefined), [k]: v }
        continue
      }
    }
    if ("repeated" in field && field.repeated === true) {
      out[field.name] = [...((out[field.name] as Array<unknown> | undefined) ?? []), value]
    } else if (value !== undefined && value !== "" && !(field.name === "generation" && value === 0)) {
      out[field.name] = value
    }
  }
  return out
}

const magic = [0x6b, 0x38, 0x73, 0x00]

/** Decodes a `k8s\0`-enveloped protobuf object of a supported kind into its JSON shape. */
export const decodeProtobuf = (bytes: Uint8Array): KubeObject | BadRequest | "unsupported" => {
  try {
    if (bytes.length < 4 || magic.some((b, i) => bytes[i] !== b)) {
      return new BadRequest({ message: "protobuf body without the k8s envelope" })
    }
    const envelope = new Reader(bytes.subarray(4))
    let apiVersion = ""
    let kind = ""
    let raw: Uint8Array | undefined
    while (!envelope.done) {
      const f = envelope.field()
      if (f.number === 1) {
        const meta = decodeMessage(asBytes(f.value), {
          1: { name: "apiVersion", type: "string" },
          2: { name: "kind", type: "string" }
        })
        apiVersion = typeof meta["apiVersion"] === "string" ? meta["apiVersion"] : ""
        kind = typeof meta["kind"] === "string" ? meta["kind"] : ""
      } else if (f.number === 2) raw = asBytes(f.value)
    }
    const message = kinds[kind]
    if (message === undefined || apiVersion !== "v1") return "unsupported"
    const object = decodeMessage(raw ?? new Uint8Array(), message)
    return { apiVersion, kind, metadata: {}, ...object } as KubeObject
  } catch (error) {
    return new BadRequest({
      message: `unable to decode the protobuf body: ${error instanceof Error ? error.message : String(error)}`
    })
  }
}
