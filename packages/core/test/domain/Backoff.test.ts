import { describe, expect, it } from "@effect/vitest"
import type { Container, Pod } from "../../src/api/Pod.js"
import {
  type BackoffState,
  containerBackoffKey,
  containerBackoffOf,
  containerHash,
  crashLoopBackOffPolicy,
  decide,
  decideEntry,
  emptyBackoff,
  gc,
  imagePullBackOffPolicy,
  isInBackOffSinceUpdate,
  next,
  stableKey
} from "../../src/domain/Backoff.js"

const s = 1_000
const app: Container = { name: "app", image: "busybox:1.36", command: ["sh", "-c", "exit 1"] }
const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", uid: "U" },
  spec: { containers: [app] }
}
const key = containerBackoffKey(pod, app)

/**
 * RTM crash-loop simulation: every instance runs `runFor(i)` seconds; at each exit the kubelet syncs, and while in
 * backoff it syncs again exactly at expiry (RTM-2/RTM-5). Returns start times, exit times and window messages.
 */
const simulate = (runFor: (instance: number) => number, instances: number) => {
  let state: BackoffState = emptyBackoff
  let now = 0
  const starts = [0]
  const exits: Array<number> = []
  const messages: Array<[number, string]> = []
  for (let i = 0; i < instances; i++) {
    const finishedAt = now + runFor(i) * s
    exits.push(finishedAt / s)
    now = finishedAt
    for (;;) {
      const result = decide(state, key, finishedAt, now)
      state = result.state
      if (result.decision._tag === "Start") break
      messages.push([now / s, result.decision.message])
      now += result.decision.remainingMs
    }
    starts.push(now / s)
  }
  return { starts, exits, messages }
}

describe("containerHash", () => {
  it("is stable hex, independent of key order, and changes with the spec", () => {
    const h = containerHash(app)
    expect(h).toMatch(/^[0-9a-f]{1,8}$/)
    expect(containerHash({ command: ["sh", "-c", "exit 1"], image: "busybox:1.36", name: "app" })).toBe(h)
    expect(containerHash({ ...app, image: "busybox:1.37" })).not.toBe(h)
  })

  it("keys the entry by pod, uid, container and hash", () => {
    expect(stableKey(key)).toBe(`p_default_U_app_${containerHash(app)}`)
  })
})

describe("decide", () => {
  it("starts without touching the state when nothing exited", () => {
    const result = decide(emptyBackoff, key, undefined, 0)
    expect(result.decision).toEqual({ _tag: "Start" })
    expect(result.state.size).toBe(0)
  })

  it("A5: restarts at 5, 20, 45, 90, 175, 340, 645, 950 with bo(10s) … bo(5m0s)", () => {
    const { starts, exits, messages } = simulate(() => 5, 8)
    expect(exits).toEqual([5, 10, 25, 50, 95, 180, 345, 650])
    expect(starts).toEqual([0, 5, 20, 45, 90, 175, 340, 645, 950])
    expect(messages).toEqual([
      [10, "back-off 10s restarting failed container=app pod=p_default(U)"],
      [25, "back-off 20s restarting failed container=app pod=p_default(U)"],
      [50, "back-off 40s restarting failed container=app pod=p_default(U)"],
      [95, "back-off 1m20s restarting failed container=app pod=p_default(U)"],
      [180, "back-off 2m40s restarting failed container=app pod=p_default(U)"],
      [345, "back-off 5m0s restarting failed container=app pod=p_default(U)"],
      [650, "back-off 5m0s restarting failed container=app pod=p_default(U)"]
    ])
  })

  it("A7: instances running 10 s restart at 10, 30, 60, 110, 200", () => {
    expect(simulate(() => 10, 5).starts).toEqual([0, 10, 30, 60, 110, 200])
  })

  it("A8: an instance that ran 700 s resets the backoff (immediate restart, then 10s)", () => {
    const { starts, messages } = simulate((i) => (i === 3 ? 700 : 5), 5)
    expect(starts).toEqual([0, 5, 20, 45, 745, 760])
    expect(messages.at(-1)).toEqual([750, "back-off 10s restarting failed container=app pod=p_default(U)"])
  })

  it("A9: exactly 600 s is not a reset (bo(40s), then 80s)", () => {
    const { starts, messages } = simulate((i) => (i === 3 ? 600 : 5), 5)
    expect(starts).toEqual([0, 5, 20, 45, 685, 770])
    expect(messages.slice(-2)).toEqual([
      [645, "back-off 40s restarting failed container=app pod=p_default(U)"],
      [690, "back-off 1m20s restarting failed container=app pod=p_default(U)"]
    ])
  })

  it("reports the event, the current backoff and the time left", () => {
    let state = decide(emptyBackoff, key, 5 * s, 5 * s).state
    const result = decide(state, key, 10 * s, 13 * s)
    state = result.state
    expect(result.decision).toEqual({
      _tag: "BackOff",
      message: "back-off 10s restarting failed container=app pod=p_default(U)",
      event: {
        type: "Warning",
        reason: "BackOff",
        message: "Back-off restarting failed container app in pod p_default(U)"
      },
      backoffMs: 10 * s,
      remainingMs: 7 * s
    })
  })

  it("a changed container spec (new hash) starts a fresh sequence", () => {
    const state = decide(emptyBackoff, key, 5 * s, 5 * s).state
    const changed = containerBackoffKey(pod, { ...app, image: "busybox:1.37" })
    expect(decide(state, changed, 10 * s, 10 * s).decision._tag).toBe("Start")
    expect(decide(state, key, 10 * s, 10 * s).decision._tag).toBe("BackOff")
  })
})

describe("next / isInBackOffSinceUpdate / gc", () => {
  it("doubles to the cap and re-initialises when expired", () => {
    let state: BackoffState = emptyBackoff
    const seen: Array<number> = []
    for (let i = 0; i < 7; i++) {
      state = next(crashLoopBackOffPolicy, state, "k", i, i)
      seen.push(state.get("k")!.backoffMs / s)
    }
    expect(seen).toEqual([10, 20, 40, 80, 160, 300, 300])
    state = next(crashLoopBackOffPolicy, state, "k", 700 * s, 700 * s)
    expect(state.get("k")).toEqual({ backoffMs: 10 * s, lastUpdateMs: 700 * s })
  })

  it("measures image backoff from the last update", () => {
    const state = next(imagePullBackOffPolicy, emptyBackoff, "U_img", 0, 0)
    expect(isInBackOffSinceUpdate(imagePullBackOffPolicy, state, "U_img", 9_999)).toBe(true)
    expect(isInBackOffSinceUpdate(imagePullBackOffPolicy, state, "U_img", 10_000)).toBe(false)
    expect(isInBackOffSinceUpdate(imagePullBackOffPolicy, state, "other", 0)).toBe(false)
  })

  it("gc drops entries idle for more than 600 s", () => {
    const state = next(crashLoopBackOffPolicy, emptyBackoff, "k", 0, 0)
    expect(gc(crashLoopBackOffPolicy, state, 600 * s).size).toBe(1)
    expect(gc(crashLoopBackOffPolicy, state, 600 * s + 1).size).toBe(0)
  })
})

describe("containerBackoffOf", () => {
  it("is the key of the pod asked for, also when another pod shares the container object", () => {
    const other: Pod = { ...pod, metadata: { name: "q", namespace: "ns", uid: "V" } }
    expect(containerBackoffOf(pod, app).id).toBe(stableKey(key))
    expect(containerBackoffOf(other, app).id).toBe(stableKey(containerBackoffKey(other, app)))
    expect(containerBackoffOf(pod, app).id).toBe(stableKey(key))
  })

  it("decides as decide does: entry advanced on start, the same texts in the window", () => {
    const keyed = containerBackoffOf(pod, app)
    const started = decideEntry(keyed, undefined, 5 * s, 5 * s)
    expect(started.decision._tag).toBe("Start")
    expect(started.entry).toEqual(decide(emptyBackoff, key, 5 * s, 5 * s).state.get(keyed.id))
    const state: BackoffState = new Map([[keyed.id, started.entry!]])
    for (const now of [6 * s, 14 * s, 15 * s, 16 * s]) {
      expect(decideEntry(keyed, started.entry, 5 * s, now).decision).toEqual(decide(state, key, 5 * s, now).decision)
    }
  })
})
