import { describe, expect, it } from "vitest"
import { tabwrite } from "../src/Tabwriter.js"

describe("tabwrite", () => {
  it("pads every column but the last to its widest cell plus 3 spaces, like kubectl", () => {
    expect(
      tabwrite([
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        ["web", "1/1", "Running", "0", "5s"],
        ["crashy-pod", "0/1", "CrashLoopBackOff", "3 (20s ago)", "2m"]
      ])
    ).toEqual([
      "NAME         READY   STATUS             RESTARTS      AGE",
      "web          1/1     Running            0             5s",
      "crashy-pod   0/1     CrashLoopBackOff   3 (20s ago)   2m"
    ])
  })

  it("handles ragged rows and an empty table", () => {
    expect(tabwrite([])).toEqual([])
    expect(tabwrite([["a", "bb"], ["ccc"]])).toEqual(["a     bb", "ccc"])
  })
})
