/**
 * The Worker's tests (test-worker/), run inside workerd by the Workers vitest pool against the
 * Worker of wrangler.jsonc, on the virtual clock (tests move time through the clock endpoint).
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers"
import { defineConfig } from "vitest/config"

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: { bindings: { PODLET_CLOCK: "virtual", PODLET_NODES: "2" } }
    })
  ],
  test: { include: ["test-worker/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
