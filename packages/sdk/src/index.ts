/**
 * @podlet/sdk: podlet for import. An embedded cluster on a virtual clock, or a remote podlet API,
 * behind the same calls.
 */
export * from "./Manifests.js"
