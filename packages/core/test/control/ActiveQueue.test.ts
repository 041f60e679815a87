// The scheduler's active queue: higher priority first, then arrival order; a uid is queued once.
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { Pending } from "../../src/control/Scheduler.js"
import { ActiveQueue } from "../../src/control/Scheduler.js"

describe("ActiveQueue", () => {
  it("pops by priority, then by arrival, whatever the push order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -2, max: 2 }), fc.nat(30)), { maxLength: 200 }), (pushes) => {
        const queue = new ActiveQueue()
        const expected = new Map<string, Pending>()
        pushes.forEach(([priority, id], seq) => {
          const item = { uid: `u${id}`, key: `default/p${id}`, priority, seq }
          queue.push(item)
          if (!expected.has(item.uid)) expected.set(item.uid, item)
        })
        const order = [...expected.values()].sort((a, b) => b.priority - a.priority || a.seq - b.seq)
        expect(queue.size).toBe(order.length)
        const popped: Array<Pending> = []
        for (let item = queue.pop(); item !== undefined; item = queue.pop()) popped.push(item)
        expect(popped).toEqual(order)
        expect(queue.has("u0")).toBe(false)
      })
    )
  })

  it("interleaved pushes and pops keep the order", () => {
    const queue = new ActiveQueue()
    queue.push({ uid: "a", key: "a", priority: 0, seq: 0 })
    queue.push({ uid: "b", key: "b", priority: 10, seq: 1 })
    expect(queue.pop()?.uid).toBe("b")
    queue.push({ uid: "c", key: "c", priority: 0, seq: 2 })
    queue.push({ uid: "d", key: "d", priority: 5, seq: 3 })
    expect([queue.pop()?.uid, queue.pop()?.uid, queue.pop()?.uid, queue.pop()]).toEqual(["d", "a", "c", undefined])
  })
})
