import { defineConfig } from "vitest/config"

// Tests never sleep: the timeouts only guard against a hang, with room for a loaded 2-core CI machine.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } })
