/**
 * Helpers for the Worker's tests: requests through the Worker's own fetch handler (as a client's
 * would arrive), and a reader for watch streams that waits on lines, never on sleeps.
 */
import { exports } from "cloudflare:workers"

export const AGG =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
export const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

/** A request to the Worker, as `kubectl` would send it to `http://127.0.0.1:PORT`. */
export const call = (path: string, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(new Request(`http://127.0.0.1${path}`, init))

export const post = (body: unknown, method = "POST", contentType = "application/json"): RequestInit => ({
  method,
  headers: { "content-type": contentType },
  body: typeof body === "string" ? body : JSON.stringify(body)
})

export const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels },
  spec: { containers: [{ name: "main", image: "nginx:1.25" }] }
})

/** Moves the cluster's virtual clock; answers once the cluster is quiescent at the new time. */
export const advance = async (seconds: number): Promise<void> => {
  const response = await call("/podlet/v1/clock/advance", post({ seconds }))
  if (response.status !== 200) throw new Error(`advance: ${response.status} ${await response.text()}`)
}

/** A watch stream read line by line: `take` waits on lines (never on sleeps). */
export interface Lines {
  /** the next `count` non-empty lines (fewer when the stream ended) */
  take(count: number): Promise<Array<string>>
  cancel(): Promise<void>
}

/** Reads newline-terminated lines from a streamed body. */
export const lines = (response: Response): Lines => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  const take = async (count: number): Promise<Array<string>> => {
    const out: Array<string> = []
    while (out.length < count) {
      const nl = buffer.indexOf("\n")
      if (nl >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        if (line !== "") out.push(line)
        continue
      }
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
    }
    return out
  }
  return { take, cancel: () => reader.cancel() }
}

/** The first `count` lines of a streamed body; the stream is cancelled after. */
export const readLines = async (response: Response, count: number): Promise<Array<string>> => {
  const stream = lines(response)
  const out = await stream.take(count)
  await stream.cancel()
  return out
}
