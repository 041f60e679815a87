import { exports } from "cloudflare:workers"
import { expect, it } from "vitest"

it("serves /version", async () => {
  const response = await exports.default.fetch("http://podlet/version")
  expect(response.status).toBe(200)
  const body = (await response.json()) as { gitVersion: string }
  expect(body.gitVersion).toMatch(/^v1\.32\./)
})
