// The three patch formats: JSON merge patch (RFC 7386 appendix A), JSON patch (RFC 6902) and
// strategic merge patch (kubectl's pod patches).
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { jsonEqual, jsonPatch, mergePatch, strategicMergePatch } from "../../src/api/Patch.js"

describe("mergePatch (RFC 7386 appendix A)", () => {
  it.each([
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"]
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }]
  ])("%j + %j", (original, patch, expected) => {
    expect(mergePatch(original, patch)).toEqual({ _tag: "Ok", value: expected })
  })

  it("does not mutate its inputs", () => {
    const original = { a: { b: 1 } }
    const patch = { a: { c: 2 } }
    mergePatch(original, patch)
    expect(original).toEqual({ a: { b: 1 } })
    expect(patch).toEqual({ a: { c: 2 } })
  })
})

describe("jsonPatch (RFC 6902)", () => {
  it.each([
    ["add a member", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }], { foo: "bar", baz: "qux" }],
    [
      "add into an array",
      { foo: ["bar", "baz"] },
      [{ op: "add", path: "/foo/1", value: "qux" }],
      { foo: ["bar", "qux", "baz"] }
    ],
    ["append with -", { foo: [1] }, [{ op: "add", path: "/foo/-", value: 2 }], { foo: [1, 2] }],
    ["remove a member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    ["remove an element", { foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }], { foo: ["bar", "baz"] }],
    [
      "replace",
      { baz: "qux", foo: "bar" },
      [{ op: "replace", path: "/baz", value: "boo" }],
      { baz: "boo", foo: "bar" }
    ],
    [
      "move",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } }
    ],
    ["copy", { a: { b: 1 } }, [{ op: "copy", from: "/a", path: "/c" }], { a: { b: 1 }, c: { b: 1 } }],
    ["test passes", { a: [1, { b: 2 }] }, [{ op: "test", path: "/a", value: [1, { b: 2 }] }], { a: [1, { b: 2 }] }],
    [
      "escaped keys",
      { "a/b": 1, "m~n": 2 },
      [
        { op: "replace", path: "/a~1b", value: 3 },
        { op: "remove", path: "/m~0n" }
      ],
      { "a/b": 3 }
    ],
    [
      "label with a slash",
      { metadata: { labels: {} } },
      [{ op: "add", path: "/metadata/labels/example.com~1x", value: "y" }],
      { metadata: { labels: { "example.com/x": "y" } } }
    ]
  ])("%s", (_, original, patch, expected) => {
    expect(jsonPatch(original, patch)).toEqual({ _tag: "Ok", value: expected })
  })

  it.each([
    ["a failed test", { a: 1 }, [{ op: "test", path: "/a", value: 2 }]],
    ["replace of a missing member", { a: 1 }, [{ op: "replace", path: "/b", value: 2 }]],
    ["remove of a missing member", { a: 1 }, [{ op: "remove", path: "/b" }]],
    ["add below a missing parent", { a: 1 }, [{ op: "add", path: "/b/c", value: 2 }]],
    ["an index out of range", { a: [1] }, [{ op: "add", path: "/a/5", value: 2 }]],
    ["an unknown op", { a: 1 }, [{ op: "frobnicate", path: "/a" }]],
    ["not an array", { a: 1 }, { op: "add", path: "/a", value: 1 }],
    ["a bad pointer", { a: 1 }, [{ op: "add", path: "a", value: 1 }]]
  ])("%s fails", (_, original, patch) => {
    expect(jsonPatch(original, patch)._tag).toBe("Error")
  })

  it("applies all or nothing", () => {
    const original = { a: 1 }
    const result = jsonPatch(original, [
      { op: "replace", path: "/a", value: 2 },
      { op: "test", path: "/a", value: 3 }
    ])
    expect(result._tag).toBe("Error")
    expect(original).toEqual({ a: 1 })
  })
})

const podWith = (containers: ReadonlyArray<unknown>, extra: Record<string, unknown> = {}) => ({
  metadata: { name: "web", labels: { app: "web", old: "x" } },
  spec: { containers, ...extra }
})

describe("strategicMergePatch", () => {
  it.each([
    [
      "containers merge by name",
      podWith([
        { name: "a", image: "nginx:1.25", ports: [{ containerPort: 80 }] },
        { name: "b", image: "redis" }
      ]),
      { spec: { containers: [{ name: "a", image: "nginx:1.26" }] } },
      podWith([
        { name: "a", image: "nginx:1.26", ports: [{ containerPort: 80 }] },
        { name: "b", image: "redis" }
      ])
    ],
    [
      "a new container is appended",
      podWith([{ name: "a", image: "x" }]),
      { spec: { containers: [{ name: "c", image: "y" }] } },
      podWith([
        { name: "a", image: "x" },
        { name: "c", image: "y" }
      ])
    ],
    [
      "$patch: delete removes an element",
      podWith([
        { name: "a", image: "x" },
        { name: "b", image: "y" }
      ]),
      { spec: { containers: [{ name: "a", $patch: "delete" }] } },
      podWith([{ name: "b", image: "y" }])
    ],
    [
      "$patch: replace on a list",
      podWith([
        { name: "a", image: "x" },
        { name: "b", image: "y" }
      ]),
      { spec: { containers: [{ name: "z", image: "z" }, { $patch: "replace" }] } },
      podWith([{ name: "z", image: "z" }])
    ],
    [
      "$patch: replace on a map",
      podWith([], { nodeSelector: { a: "1", b: "2" } }),
      { spec: { nodeSelector: { c: "3", $patch: "replace" } } },
      podWith([], { nodeSelector: { c: "3" } })
    ],
    [
      "env merges by name, ports by containerPort",
      podWith([
        {
          name: "a",
          env: [
            { name: "X", value: "1" },
            { name: "Y", value: "2" }
          ],
          ports: [{ containerPort: 80, name: "http" }, { containerPort: 443 }]
        }
      ]),
      {
        spec: {
          containers: [
            {
              name: "a",
              env: [{ name: "Y", value: "3" }],
              ports: [{ containerPort: 443, name: "https" }, { containerPort: 8080 }]
            }
          ]
        }
      },
      podWith([
        {
          name: "a",
          env: [
            { name: "X", value: "1" },
            { name: "Y", value: "3" }
          ],
          ports: [{ containerPort: 80, name: "http" }, { containerPort: 443, name: "https" }, { containerPort: 8080 }]
        }
      ])
    ],
    [
      "volumes merge by name",
      podWith([], { volumes: [{ name: "a", emptyDir: {} }] }),
      { spec: { volumes: [{ name: "b", emptyDir: {} }] } },
      podWith([], {
        volumes: [
          { name: "a", emptyDir: {} },
          { name: "b", emptyDir: {} }
        ]
      })
    ],
    [
      "lists without a merge key are replaced",
      podWith([{ name: "a", command: ["x", "y"] }], { tolerations: [{ key: "a" }] }),
      { spec: { containers: [{ name: "a", command: ["z"] }], tolerations: [{ key: "b" }] } },
      podWith([{ name: "a", command: ["z"] }], { tolerations: [{ key: "b" }] })
    ],
    [
      "$setElementOrder orders, it does not delete",
      podWith([
        { name: "a", image: "1" },
        { name: "b", image: "2" }
      ]),
      {
        spec: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }], containers: [{ name: "a", image: "3" }] }
      },
      podWith([
        { name: "b", image: "2" },
        { name: "a", image: "3" }
      ])
    ],
    [
      "null deletes a label",
      podWith([]),
      { metadata: { labels: { old: null, new: "y" } } },
      { metadata: { name: "web", labels: { app: "web", new: "y" } }, spec: { containers: [] } }
    ],
    [
      "$retainKeys keeps only the named keys",
      podWith([], { strategy: { a: 1, b: 2 } }),
      { spec: { strategy: { $retainKeys: ["c"], c: 3 } } },
      podWith([], { strategy: { c: 3 } })
    ]
  ])("%s", (_, original, patch, expected) => {
    const result = strategicMergePatch(original, patch)
    expect(result).toEqual({ _tag: "Ok", value: expected })
  })

  it("finalizers merge as a set; $deleteFromPrimitiveList removes", () => {
    const original = { metadata: { name: "x", finalizers: ["a", "b"] } }
    expect(strategicMergePatch(original, { metadata: { finalizers: ["b", "c"] } })).toEqual({
      _tag: "Ok",
      value: { metadata: { name: "x", finalizers: ["a", "b", "c"] } }
    })
    expect(strategicMergePatch(original, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } })).toEqual({
      _tag: "Ok",
      value: { metadata: { name: "x", finalizers: ["b"] } }
    })
  })

  it("conditions merge by type; ownerReferences by uid", () => {
    const original = {
      metadata: { ownerReferences: [{ uid: "1", name: "a" }] },
      status: {
        conditions: [
          { type: "Ready", status: "False" },
          { type: "Initialized", status: "True" }
        ]
      }
    }
    const patch = {
      metadata: { ownerReferences: [{ uid: "2", name: "b" }] },
      status: { conditions: [{ type: "Ready", status: "True" }] }
    }
    expect(strategicMergePatch(original, patch)).toEqual({
      _tag: "Ok",
      value: {
        metadata: {
          ownerReferences: [
            { uid: "1", name: "a" },
            { uid: "2", name: "b" }
          ]
        },
        status: {
          conditions: [
            { type: "Ready", status: "True" },
            { type: "Initialized", status: "True" }
          ]
        }
      }
    })
  })

  it("ReplicaSet pod templates merge like pods", () => {
    const original = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: "a", image: "1" },
              { name: "b", image: "2" }
            ]
          }
        }
      }
    }
    const result = strategicMergePatch(original, {
      spec: { template: { spec: { containers: [{ name: "b", image: "3" }] } } }
    })
    expect(result).toEqual({
      _tag: "Ok",
      value: {
        spec: {
          template: {
            spec: {
              containers: [
                { name: "a", image: "1" },
                { name: "b", image: "3" }
              ]
            }
          }
        }
      }
    })
  })

  it.each([
    ["a list element without its merge key", { spec: { containers: [{ image: "x" }] } }],
    ["an unknown $patch", { spec: { $patch: "frobnicate" } }],
    ["not an object", ["x"]]
  ])("%s fails", (_, patch) => {
    expect(strategicMergePatch(podWith([]), patch)._tag).toBe("Error")
  })
})

describe("jsonEqual", () => {
  it.each([
    [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [[1, 2], [2, 1], false],
    [{}, [], false],
    [null, {}, false]
  ])("%j vs %j", (a, b, expected) => {
    expect(jsonEqual(a, b)).toBe(expected)
  })

  it("agrees with a comparison by key lists on any JSON values (undefined members, inherited ones ignored)", () => {
    type J = Record<string, unknown>
    const reference = (a: unknown, b: unknown): boolean => {
      if (a === b) return true
      if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
      if (Array.isArray(a)) {
        if (!Array.isArray(b) || a.length !== b.length) return false
        return a.every((x, i) => reference(x, b[i]))
      }
      if (Array.isArray(b)) return false
      const ka = Object.keys(a)
      const kb = Object.keys(b)
      return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && reference((a as J)[k], (b as J)[k]))
    }
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.constantFrom(0, 1, "a", "b", true, null, undefined)),
      node: fc.oneof(
        { depthSize: "small" },
        tie("leaf"),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom("a", "b", "c"), tie("node"), { maxKeys: 3 })
      )
    })).node
    // an object whose prototype has an enumerable member: not one of its own
    const inherited = Object.assign(Object.create({ c: 1 }) as J, { a: 1 })
    expect(jsonEqual(inherited, { a: 1 })).toBe(true)
    expect(jsonEqual({ a: 1 }, inherited)).toBe(true)
    fc.assert(
      fc.property(value, value, fc.boolean(), (a, b, same) => {
        const y = same ? structuredClone(a) : b
        expect(jsonEqual(a, y)).toBe(reference(a, y))
        expect(jsonEqual(y, a)).toBe(reference(y, a))
      }),
      { numRuns: 2000 }
    )
  })
})
