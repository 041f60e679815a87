import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// Tests never sleep: the timeouts only guard against a hang, with room for a loaded 2-core CI machine.
// The README's examples (examples/sdk/*.test.ts) run here too, importing `@podlet/sdk` as users do.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@podlet\/sdk\/effect$/, replacement: here("./src/effect.ts") },
      { find: /^@podlet\/sdk$/, replacement: here("./src/index.ts") },
      { find: /^vitest$/, replacement: here("./node_modules/vitest/dist/index.js") }
    ]
  },
  server: { fs: { allow: [here("../..")] } },
  test: {
    include: ["test/**/*.test.ts", "../../examples/sdk/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
