/**
 * The Worker's tests, run inside workerd by the Workers vitest pool against the Worker of
 * wrangler.jsonc: test-worker/ on the virtual clock (tests move time through the clock endpoint),
 * test-worker/real/ on the real clock (timers keep the Durable Object's alarm armed); and, on Node,
 * test-worker/kubectl/: kubectl against the Worker under `wrangler dev`.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers"
import { defineConfig } from "vitest/config"

const worker = (clock: "real" | "virtual") =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.jsonc" },
    miniflare: { bindings: { PODLET_CLOCK: clock, PODLET_NODES: "2" } }
  })

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        plugins: [worker("virtual")],
        test: { name: "workerd, virtual clock", include: ["test-worker/*.test.ts"] }
      },
      {
        extends: true,
        plugins: [worker("real")],
        test: { name: "workerd, real clock", include: ["test-worker/real/*.test.ts"] }
      },
      {
        extends: true,
        test: { name: "kubectl, wrangler dev", include: ["test-worker/kubectl/*.test.ts"] }
      }
    ]
  }
})
