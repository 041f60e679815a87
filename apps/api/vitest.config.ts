import { defineConfig } from "vitest/config"

// Tests never sleep: the timeouts only guard against a hang, with room for a loaded 2-core CI machine.
// The Worker's tests (test-worker/) run inside workerd: vitest.workers.config.ts.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } })
