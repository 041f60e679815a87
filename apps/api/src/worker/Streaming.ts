/**
 * Streamed answers through Cloudflare: the edge (and `wrangler dev`, which mimics it) gzips
 * `application/json` and `text/plain` responses for clients that accept gzip, as kubectl does, and
 * a compressor holds small chunks back, so watch events and followed log lines would not arrive
 * until much later. Streamed answers are marked `Content-Encoding: identity` (and `no-transform`),
 * which both leave uncompressed.
 */
import { isWatch } from "../Query.js"

const truthy = (value: string | null): boolean => value === "true" || value === "1"

/** Whether a request asks for a streamed answer: a watch (`?watch=1`, `/watch/` paths) or a followed log. */
export const isStreamed = (url: URL): boolean =>
  isWatch(url.searchParams) ||
  /^\/(api|apis\/[^/]+)\/[^/]+\/watch\//.test(url.pathname) ||
  (url.pathname.endsWith("/log") && truthy(url.searchParams.get("follow")))

/** The response marked so that nothing on the way compresses it. */
export const uncompressed = (response: Response): Response => {
  const marked = new Response(response.body, response)
  marked.headers.set("content-encoding", "identity")
  const cacheControl = marked.headers.get("cache-control")
  marked.headers.set("cache-control", cacheControl === null ? "no-transform" : `${cacheControl}, no-transform`)
  return marked
}
