/**
 * Authentication and authorisation of `npm run serve --token-file`: bearer tokens from a Kubernetes
 * static token file (`token,user,uid,"group1,group2"`), request attributes as the apiserver's
 * RequestInfoFactory reads them, and podlet's three groups: `system:masters` may do everything,
 * `podlet:view` only get/list/watch, `podlet:namespace:NAME` anything inside NAME. Refusals are the
 * apiserver's Statuses: 401 Unauthorized, 403 Forbidden with its message.
 */
import type { Status } from "@podlet/core/api/Meta"
import type { MiddlewareHandler } from "hono"
import { statusResponse } from "./Respond.js"

/** A user of the token file. */
export interface TokenUser {
  readonly name: string
  readonly uid: string
  readonly groups: ReadonlyArray<string>
}

/** Tokens to their users. */
export type TokenUsers = ReadonlyMap<string, TokenUser>

/** One CSV record as Go's encoding/csv reads it (quoted fields, `""` inside quotes, leading spaces trimmed). */
const csvRecord = (line: string): Array<string> | string => {
  const fields: Array<string> = []
  let i = 0
  while (true) {
    while (line[i] === " " || line[i] === "\t") i++
    if (line[i] === '"') {
      let field = ""
      i++
      while (true) {
        if (i >= line.length) return 'extraneous or missing " in quoted-field'
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += line[i]
        i++
      }
      if (i < line.length && line[i] !== ",") return 'extraneous or missing " in quoted-field'
      fields.push(field)
    } else {
      const end = line.indexOf(",", i)
      const field = end < 0 ? line.slice(i) : line.slice(i, end)
      if (field.includes('"')) return 'bare " in non-quoted-field'
      fields.push(field)
      i = end < 0 ? line.length : end
    }
    if (i >= line.length) return fields
    i++ // the comma
  }
}

/**
 * Parses a static token file (Kubernetes' `--token-auth-file`): at least 3 columns per line, the 4th
 * a comma-separated group list; empty tokens are skipped, a later duplicate wins. A string is the error.
 */
export const parseTokenFile = (text: string, path = "token file"): TokenUsers | string => {
  const users = new Map<string, TokenUser>()
  const lines = text.split(/\r?\n/)
  for (const [n, line] of lines.entries()) {
    if (line.trim() === "") continue
    const record = csvRecord(line)
    if (typeof record === "string") return `token file '${path}' line ${n + 1}: ${record}`
    if (record.length < 3) {
      return `token file '${path}' must have at least 3 columns (token, user name, user uid), found ${record.length}`
    }
    const [token, name, uid, groups] = record as [string, string, string, string | undefined]
    if (token === "") continue
    users.set(token, { name, uid, groups: groups === undefined ? [] : groups.split(",") })
  }
  if (users.size === 0) return `token file '${path}' holds no token`
  return users
}

/** The token to write into the kubeconfig: the first `system:masters` user's, else the first one's. */
export const kubeconfigToken = (users: TokenUsers): { readonly token: string; readonly user: TokenUser } => {
  const entries = [...users.entries()]
  const [token, user] = entries.find(([, u]) => u.groups.includes("system:masters")) ?? entries[0]!
  return { token, user }
}

/** What a request asks to do, as the apiserver's RequestInfoFactory reads the URL. */
export type RequestAttributes =
  | {
      readonly resourceRequest: true
      readonly verb: string
      readonly group: string
      readonly resource: string
      readonly subresource: string
      readonly namespace: string
      readonly name: string
    }
  | { readonly resourceRequest: false; readonly verb: string; readonly path: string }

const watchValues = new Set(["1", "t", "T", "true", "TRUE", "True"])

/** The attributes of a request (method, path, query). */
export const requestAttributes = (method: string, path: string, query: URLSearchParams): RequestAttributes => {
  const nonResource = (): RequestAttributes => ({ resourceRequest: false, verb: method.toLowerCase(), path })
  const parts = path.split("/").filter((s) => s !== "")
  let group: string
  let rest: Array<string>
  if (parts[0] === "api" && parts.length >= 2) {
    group = ""
    rest = parts.slice(2)
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1]!
    rest = parts.slice(3)
  } else return nonResource()
  if (rest.length === 0) return nonResource()
  let verb = (() => {
    switch (method) {
      case "POST":
        return "create"
      case "GET":
      case "HEAD":
        return "get"
      case "PUT":
        return "update"
      case "PATCH":
        return "patch"
      case "DELETE":
        return "delete"
      default:
        return ""
    }
  })()
  if (rest[0] === "watch") {
    verb = "watch"
    rest = rest.slice(1)
  }
  let namespace = ""
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1]!
    if (rest.length > 2) rest = rest.slice(2)
  }
  const resource = rest[0] ?? ""
  const name = rest[1] ?? ""
  const subresource = rest[2] ?? ""
  if (name === "" && verb === "get") verb = watchValues.has(query.get("watch") ?? "") ? "watch" : "list"
  if (name === "" && verb === "delete") verb = "deletecollection"
  return { resourceRequest: true, verb, group, resource, subresource, namespace, name }
}

const readVerbs = new Set(["get", "list", "watch"])
const discoveryPath = /^\/(api|apis|openapi|version|healthz|livez|readyz)(\/|$)/

/** Whether the user may do what the attributes say. */
export const authorize = (user: TokenUser, attributes: RequestAttributes): boolean => {
  const groups = user.groups
  if (groups.includes("system:masters")) return true
  if (!attributes.resourceRequest) {
    // discovery and OpenAPI for every authenticated user (system:discovery), reads of the rest for viewers
    if (attributes.verb === "get" && discoveryPath.test(attributes.path)) return true
    if (attributes.verb === "get" && groups.includes("podlet:view")) return true
    const ns = /^\/podlet\/v1\/namespaces\/([^/]+)\//.exec(attributes.path)?.[1]
    return ns !== undefined && groups.includes(`podlet:namespace:${ns}`)
  }
  if (readVerbs.has(attributes.verb) && groups.includes("podlet:view")) return true
  return attributes.namespace !== "" && groups.includes(`podlet:namespace:${attributes.namespace}`)
}

const failure = (code: number, reason: string, message: string, details?: Status["details"]): Status => ({
  apiVersion: "v1",
  kind: "Status",
  metadata: {},
  status: "Failure",
  message,
  reason,
  ...(details === undefined ? {} : { details }),
  code
})

/** 401 for a request without a valid bearer token. */
export const unauthorizedStatus = (): Status => failure(401, "Unauthorized", "Unauthorized")

/** 403 with the apiserver's message (`pods is forbidden: User "u" cannot create resource "pods" …`). */
export const forbiddenStatus = (user: TokenUser, a: RequestAttributes): Status => {
  if (!a.resourceRequest) {
    return failure(403, "Forbidden", `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"`, {})
  }
  const resource = a.subresource === "" ? a.resource : `${a.resource}/${a.subresource}`
  const scope = a.namespace === "" ? "at the cluster scope" : `in the namespace "${a.namespace}"`
  const reason = `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`
  const qualified = a.group === "" ? a.resource : `${a.resource}.${a.group}`
  const message =
    a.name === "" ? `${qualified} is forbidden: ${reason}` : `${qualified} "${a.name}" is forbidden: ${reason}`
  return failure(403, "Forbidden", message, {
    ...(a.name === "" ? {} : { name: a.name }),
    ...(a.group === "" ? {} : { group: a.group }),
    kind: a.resource
  })
}

/** The bearer token of an `Authorization` header (`Bearer <token>`, scheme case-insensitive), if any. */
export const bearerToken = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const parts = header.split(" ")
  if (parts.length < 2 || parts[0]!.toLowerCase() !== "bearer" || parts[1] === "") return undefined
  return parts[1]
}

/** Paths anyone may read without a token (health probes and `/version`, Kubernetes' public-info-viewer). */
const publicPath = /^\/(healthz|livez|readyz|version)(\/|$)/

/** The Hono middleware: 401 without a valid token, 403 when the user's groups do not allow the request. */
export const authMiddleware =
  (users: TokenUsers): MiddlewareHandler =>
  async (c, next) => {
    const header = c.req.header("authorization")
    const url = new URL(c.req.url)
    if (header === undefined && (c.req.method === "GET" || c.req.method === "HEAD") && publicPath.test(url.pathname)) {
      return next()
    }
    const token = bearerToken(header)
    const user = token === undefined ? undefined : users.get(token)
    if (user === undefined) return statusResponse(unauthorizedStatus())
    const attributes = requestAttributes(c.req.method, url.pathname, url.searchParams)
    if (!authorize(user, attributes)) return statusResponse(forbiddenStatus(user, attributes))
    return next()
  }
