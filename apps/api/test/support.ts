/**
 * Test helpers: an app over a fresh in-memory store, request shorthands, and a reader for watch
 * streams that waits on lines (never on sleeps).
 */

import { StoreMemory } from "@podlet/core/layers/StoreMemory"
import type { ObjectStore } from "@podlet/core/services/ObjectStore"
import type { Layer } from "effect"
import { ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { makeApp } from "../src/app.js"

export const TABLE =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
export const AGG =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

export interface TestApp {
  readonly app: Hono
  readonly dispose: () => Promise<void>
}

/** An app over its own store (`StoreMemory.layer` unless given). */
export const testApp = (layer: Layer.Layer<ObjectStore> = StoreMemory.layer): TestApp => {
  const runtime = ManagedRuntime.make(layer)
  return { app: makeApp({ runtime }), dispose: () => runtime.dispose() }
}

export const pod = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels },
  spec: { containers: [{ name: "main", image: "nginx:1.25" }] },
  ...extra
})

export const json = (method: string, body: unknown, contentType = "application/json"): RequestInit => ({
  method,
  headers: { "content-type": contentType },
  body: typeof body === "string" ? body : JSON.stringify(body)
})

/** Reads newline-terminated lines from a streamed body until `count` non-empty ones arrived (or the stream ended). */
export const readLines = async (
  source: Response | ReadableStreamDefaultReader<Uint8Array>,
  count: number,
  options: { readonly keepEmpty?: boolean } = {}
): Promise<{
  readonly lines: Array<string>
  readonly ended: boolean
  readonly cancel: () => Promise<void>
  readonly reader: ReadableStreamDefaultReader<Uint8Array>
}> => {
  const reader = source instanceof Response ? source.body!.getReader() : source
  const decoder = new TextDecoder()
  const lines: Array<string> = []
  let buffer = ""
  let ended = false
  while (lines.length < count) {
    const { done, value } = await reader.read()
    if (done) {
      ended = true
      break
    }
    buffer += decoder.decode(value, { stream: true })
    let nl = buffer.indexOf("\n")
    while (nl >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line !== "" || options.keepEmpty === true) lines.push(line)
      nl = buffer.indexOf("\n")
    }
  }
  return { lines, ended, cancel: () => reader.cancel(), reader }
}
