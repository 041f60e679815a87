/**
 * The benchmark dispatcher: `npm run bench -- <name> [options]` runs `<name>.ts`'s `main`.
 */
const benches: Record<string, () => Promise<{ readonly main: (args: ReadonlyArray<string>) => Promise<void> }>> = {
  store: () => import("./store.js"),
  scheduler: () => import("./scheduler.js"),
  engine: () => import("./engine.js"),
  runtime: () => import("./runtime.js"),
  dashboard: () => import("./dashboard.js"),
  sdk: () => import("./sdk.js"),
  api: () => import("./api.js")
}

const [name, ...args] = process.argv.slice(2)
const load = name === undefined ? undefined : benches[name]
if (load === undefined) {
  process.stderr.write(`usage: npm run bench -- <name> [options]\navailable: ${Object.keys(benches).join(", ")}\n`)
  process.exitCode = name === undefined ? 0 : 1
} else {
  await (await load()).main(args)
}
