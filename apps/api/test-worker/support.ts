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

/** Reads newline-terminated JSON lines from a streamed body until `count` non-empty ones arrived. */
export const readLines = async (response: Response, count: number): Promise<Array<string>> => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const lines: Array<string> = []
  let buffer = ""
  while (lines.length < count) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line !== "") lines.push(line)
    }
  }
  await reader.cancel()
  return lines
}
