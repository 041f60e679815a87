import { describe, expect, it } from "@effect/vitest"
import { defaultCatalogue } from "../../src/layers/RegistrySimulated.js"
import { simInterpreter } from "../../src/layers/RuntimeSimulated.js"
import {
  classifyProgram,
  imageLacks,
  type Program,
  resolveArgv,
  startErrorMessage
} from "../../src/layers/runtime/Program.js"
import type { ImageConfig } from "../../src/services/ImageService.js"

const config = (name: string): ImageConfig => ({
  entrypoint: [],
  cmd: [],
  exposedPorts: [],
  ...defaultCatalogue.find((e) => e.name === name)?.config
})

const classify = (image: string, argv: ReadonlyArray<string>, files: ReadonlyArray<string> = []): Program =>
  classifyProgram(argv, {
    image: config(image),
    isCommand: simInterpreter.isCommand,
    exists: (path) => files.includes(path),
    workingDir: "/",
    lacks: imageLacks(`docker.io/library/${image}`)
  })

describe("resolveArgv (containerd's command/args merge)", () => {
  it.each([
    ["busybox", [], [], ["sh"]],
    ["busybox", ["sleep"], ["10"], ["sleep", "10"]],
    ["busybox", [], ["echo", "hi"], ["echo", "hi"]],
    ["nginx", [], [], ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]],
    ["nginx", [], ["nginx-debug"], ["/docker-entrypoint.sh", "nginx-debug"]],
    ["nginx", ["nginx"], [], ["nginx"]]
  ] as const)("%s command=%j args=%j → %j", (image, command, args, expected) => {
    expect(resolveArgv(command, args, config(image))).toEqual(expected)
  })

  it("has no argv when neither the container nor the image gives one", () => {
    expect(resolveArgv([], [], { entrypoint: [], cmd: [], exposedPorts: [] })).toBeUndefined()
  })
})

describe("classifyProgram", () => {
  it.each<[string, ReadonlyArray<string>, Program]>([
    ["busybox", ["sh"], { _tag: "Interpreter", argv: ["sh"] }],
    ["busybox", ["sh", "-c", "exit 1"], { _tag: "Interpreter", argv: ["sh", "-c", "exit 1"] }],
    ["alpine", ["/bin/sh", "-c", "true"], { _tag: "Interpreter", argv: ["/bin/sh", "-c", "true"] }],
    ["busybox", ["sleep", "3600"], { _tag: "Sleep", millis: 3_600_000 }],
    ["busybox", ["/bin/sleep", "1h"], { _tag: "Sleep", millis: 3_600_000 }],
    ["busybox", ["sleep", "infinity"], { _tag: "Sleep", millis: Number.POSITIVE_INFINITY }],
    ["busybox", ["sleep", "x"], { _tag: "Interpreter", argv: ["sleep", "x"] }],
    ["busybox", ["sh", "-c", "sleep 3600"], { _tag: "Sleep", millis: 3_600_000 }],
    ["busybox", ["/bin/sh", "-c", " exec sleep 10 "], { _tag: "Sleep", millis: 10_000 }],
    ["busybox", ["sh", "-c", "tail -f /dev/null"], { _tag: "Sleep", millis: Number.POSITIVE_INFINITY }],
    [
      "busybox",
      ["sh", "-c", "sleep 5; exit 1"],
      {
        _tag: "Timeline",
        argv: ["sh", "-c", "sleep 5; exit 1"],
        steps: [{ _tag: "Wait", millis: 5000 }],
        code: 1
      }
    ],
    ["busybox", ["sh", "-c", "sleep $T"], { _tag: "Interpreter", argv: ["sh", "-c", "sleep $T"] }],
    [
      "busybox",
      ["/app/sleep", "10"],
      {
        _tag: "StartError",
        message: startErrorMessage('exec: "/app/sleep": stat /app/sleep: no such file or directory')
      }
    ],
    ["nginx", ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"], { _tag: "Server", server: "nginx", ports: [] }],
    ["redis", ["docker-entrypoint.sh", "redis-server"], { _tag: "Server", server: "redis", ports: [] }],
    ["redis", ["docker-entrypoint.sh", "--port", "7000"], { _tag: "Server", server: "redis", ports: [7000] }],
    ["registry.k8s.io/pause", ["/pause"], { _tag: "Server", server: "pause", ports: [] }],
    ["node", ["docker-entrypoint.sh", "node"], { _tag: "Exit", code: 0 }],
    ["python", ["python3"], { _tag: "Exit", code: 0 }],
    ["node", ["node", "server.js"], { _tag: "Server", server: "generic", ports: [] }],
    ["example.com/app", ["/app/server"], { _tag: "Server", server: "generic", ports: [] }],
    [
      "busybox",
      ["/scripts/run.sh"],
      {
        _tag: "StartError",
        message: startErrorMessage('exec: "/scripts/run.sh": stat /scripts/run.sh: no such file or directory')
      }
    ],
    [
      "busybox",
      ["bash", "-c", "echo hi"],
      { _tag: "StartError", message: startErrorMessage('exec: "bash": executable file not found in $PATH') }
    ],
    [
      "busybox",
      ["/bin/bash", "-c", "sleep 5"],
      { _tag: "StartError", message: startErrorMessage('exec: "/bin/bash": stat /bin/bash: no such file or directory') }
    ],
    [
      "alpine",
      ["curl", "-s", "http://web"],
      { _tag: "StartError", message: startErrorMessage('exec: "curl": executable file not found in $PATH') }
    ],
    ["debian", ["bash", "-c", "exit 3"], { _tag: "Interpreter", argv: ["bash", "-c", "exit 3"] }],
    [
      "debian",
      ["wget", "-qO-", "http://web"],
      { _tag: "StartError", message: startErrorMessage('exec: "wget": executable file not found in $PATH') }
    ],
    ["nginx", ["curl", "-s", "http://web"], { _tag: "Interpreter", argv: ["curl", "-s", "http://web"] }],
    [
      "busybox",
      ["nginx"],
      { _tag: "StartError", message: startErrorMessage('exec: "nginx": executable file not found in $PATH') }
    ],
    [
      "example.com/app",
      ["/nonexistent"],
      {
        _tag: "StartError",
        message: startErrorMessage('exec: "/nonexistent": stat /nonexistent: no such file or directory')
      }
    ]
  ])("%s %j", (image, argv, expected) => {
    expect(classify(image, argv)).toEqual(expected)
  })

  it("runs a script file that exists in the container", () => {
    expect(classify("busybox", ["/scripts/run.sh", "a"], ["/scripts/run.sh"])).toEqual({
      _tag: "Interpreter",
      argv: ["/scripts/run.sh", "a"]
    })
  })
})
