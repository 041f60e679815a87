/**
 * Bodies taken from the Node message's parser buffer (`bufferedBody`, the fast path when the body
 * came with the request's head) against bodies read from the Request (chunked uploads, or bytes that
 * came later): over a real server, the same bodies give the same answers either way.
 */
import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bufferedBody, type IncomingBody, maxBodyBytes } from "../src/Body.js"
import { listen, type NodeServer } from "../src/NodeServer.js"
import { pod, type TestApp, testApp } from "./support.js"

/** A message whose parser has buffered `bytes` of a body that declares `length`. */
const message = (
  length: string | undefined,
  bytes: Uint8Array,
  state: Partial<Pick<IncomingBody, "readableDidRead" | "readableAborted">> = {}
) => {
  let resumed = 0
  let taken: Uint8Array | null = bytes.byteLength === 0 ? null : bytes
  const incoming: IncomingBody = {
    readableDidRead: state.readableDidRead ?? false,
    readableAborted: state.readableAborted ?? false,
    readableLength: bytes.byteLength,
    headers: length === undefined ? {} : { "content-length": length },
    read: () => {
      const chunk = taken
      taken = null
      return chunk
    },
    resume: () => {
      resumed += 1
    }
  }
  return { incoming, resumed: () => resumed }
}

describe("bufferedBody", () => {
  const body = new TextEncoder().encode('{"a":1}')

  it("takes a body whose declared bytes are all buffered, and lets the message end", () => {
    const m = message(String(body.byteLength), body)
    expect(bufferedBody(m.incoming)).toBe(body)
    expect(m.resumed()).toBe(1)
  })

  it("takes an empty body (Content-Length: 0)", () => {
    const m = message("0", new Uint8Array())
    expect(bufferedBody(m.incoming)).toEqual(new Uint8Array())
    expect(m.resumed()).toBe(1)
  })

  it("refuses a declared length over the limit without reading", () => {
    const m = message(String(maxBodyBytes + 1), body)
    expect(bufferedBody(m.incoming)).toBe("too-large")
    expect(m.resumed()).toBe(0)
  })

  it("leaves the body to the Request when it is not all there, has no length, or was read", () => {
    const cases = [
      message(String(body.byteLength + 1), body),
      message(undefined, body),
      message(String(body.byteLength), body, { readableDidRead: true }),
      message(String(body.byteLength), body, { readableAborted: true })
    ]
    for (const m of cases) {
      expect(bufferedBody(m.incoming)).toBeUndefined()
      expect(m.resumed()).toBe(0)
    }
  })
})

/** Sends raw HTTP/1.1 request pieces on one connection (each a separate write) and reads the answer. */
const exchange = (port: number, pieces: ReadonlyArray<string>): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1")
    let text = ""
    socket.setNoDelay(true)
    socket.on("connect", () => {
      const send = (i: number): void => {
        if (i >= pieces.length) return
        socket.write(pieces[i]!)
        setImmediate(() => send(i + 1))
      }
      send(0)
    })
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8")
    })
    socket.on("end", () => {
      const split = text.indexOf("\r\n\r\n")
      resolve({ status: Number(text.slice(9, 12)), body: text.slice(split + 4) })
    })
    socket.on("error", reject)
  })

const head = (length: number | "chunked") =>
  `POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
  `Content-Type: application/json\r\n${
    length === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`
  }\r\n\r\n`

/** The ways a body is sent: with the head, after it (a separate write), and chunked. */
const ways: ReadonlyArray<readonly [string, (body: string) => ReadonlyArray<string>]> = [
  ["with the head", (body) => [head(Buffer.byteLength(body)) + body]],
  ["after the head", (body) => [head(Buffer.byteLength(body)), body]],
  [
    "chunked",
    (body) => {
      const bytes = Buffer.byteLength(body)
      return [head("chunked"), bytes === 0 ? "0\r\n\r\n" : `${bytes.toString(16)}\r\n${body}\r\n0\r\n\r\n`]
    }
  ]
]

/** An answer without what differs between two creates (uid, resourceVersion, timestamps). */
const comparable = (answer: { status: number; body: string }) => {
  const parsed = JSON.parse(answer.body) as Record<string, unknown>
  const metadata = parsed["metadata"] as Record<string, unknown> | undefined
  if (metadata === undefined) return { status: answer.status, body: parsed }
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, ...rest } = metadata
  return { status: answer.status, body: { ...parsed, metadata: rest } }
}

describe("a body from the parser's buffer answers as one read from the Request", () => {
  let app: TestApp
  let server: NodeServer
  beforeAll(async () => {
    app = testApp()
    server = await listen(app.app, "127.0.0.1", 0)
  })
  afterAll(async () => {
    await server.close()
    await app.dispose()
  })

  const bodies: ReadonlyArray<readonly [string, (name: string) => string]> = [
    ["a pod", (name) => JSON.stringify(pod(name, { app: "web" }))],
    [
      "a pod with a multi-byte annotation",
      (name) => JSON.stringify({ ...pod(name), metadata: { name, annotations: { note: "çà 🙂" } } })
    ],
    ["bad json", () => "{"],
    ["empty", () => ""],
    ["not an object", () => "[1,2]"],
    ["an invalid pod", (name) => JSON.stringify({ ...pod(name), spec: { containers: [] } })]
  ]

  bodies.forEach(([what, body], b) => {
    it(what, async () => {
      const answers = []
      for (const [w, [, pieces]] of ways.entries()) {
        // each way creates its own pod (names of one length); the answers differ only in it
        const answer = await exchange(server.port, pieces(body(`body${b}-way${w}`)))
        answers.push(comparable({ ...answer, body: answer.body.replaceAll(`-way${w}`, "") }))
      }
      expect(answers[0]?.status).toBeGreaterThan(0)
      expect(answers[1]).toEqual(answers[0])
      expect(answers[2]).toEqual(answers[0])
    })
  })
})
