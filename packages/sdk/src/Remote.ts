/**
 * The remote cluster: the SDK's `Backend` over the Kubernetes API, so it works against a podlet API
 * server and a real cluster alike. podlet's own endpoints (`/podlet/v1/clock`, faults, images) are
 * used where the server offers them: on a virtual clock every write is followed by an advance of 0
 * seconds, which answers once the cluster is quiet, so remote observations match embedded ones.
 * Elsewhere those calls fail with `UnsupportedError`.
 */
import { KubeConfig } from "@kubernetes/client-node"
import type { KubeObject } from "@podlet/core/api/Meta"
import type { Node } from "@podlet/core/api/Objects"
import type { Pod } from "@podlet/core/api/Pod"
import { resourceForKind } from "@podlet/core/api/Resources"
import { Effect, type Scope, Stream } from "effect"
import { applyPatchOf, splitImageRef } from "./Apply.js"
import type { Backend, KindInfo } from "./Backend.js"
import type { ClusterEffect } from "./ClusterEffect.js"
import { makeClusterOps } from "./ClusterOps.js"
import { drainWith } from "./Drain.js"
import {
  BadRequestError,
  type ClusterError,
  NotFoundError,
  sdkStatus,
  UnauthorizedError,
  unsupported
} from "./Errors.js"
import { type HttpClient, makeHttpClient } from "./Http.js"
import type { ClockMode, ContainerTarget, LogLine } from "./Types.js"

/** Where to connect: a server URL (and token), or a kubeconfig context. */
export type ConnectOptions =
  | {
      /** `https://host:6443` or `http://127.0.0.1:PORT` */
      readonly server: string
      /** a bearer token */
      readonly token?: string
      /** PEM of the CA that signed the server's certificate */
      readonly certificateAuthority?: string
      /** accept any server certificate */
      readonly insecureSkipTlsVerify?: boolean
    }
  | {
      /** a kubeconfig file; default `$KUBECONFIG` or `~/.kube/config` */
      readonly kubeconfig?: string
      /** default: the kubeconfig's current context */
      readonly context?: string
    }

/** The answer of `GET /podlet/v1/clock`. */
interface ClockAnswer {
  readonly now: string
  readonly mode: ClockMode
}

const kubeConfigOf = (options: ConnectOptions): Effect.Effect<KubeConfig, ClusterError> =>
  Effect.try({
    try: () => {
      const kc = new KubeConfig()
      if ("server" in options) {
        kc.loadFromOptions({
          clusters: [
            {
              name: "podlet",
              server: options.server,
              // plain HTTP has no certificate to verify (client-node insists on the flag)
              skipTLSVerify: options.insecureSkipTlsVerify === true || options.server.startsWith("http:"),
              ...(options.certificateAuthority !== undefined
                ? { caData: Buffer.from(options.certificateAuthority).toString("base64") }
                : {})
            }
          ],
          users: [{ name: "podlet", ...(options.token !== undefined ? { token: options.token } : {}) }],
          contexts: [{ name: "podlet", cluster: "podlet", user: "podlet" }],
          currentContext: "podlet"
        })
      } else {
        if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig)
        else kc.loadFromDefault()
        if (options.context !== undefined) {
          if (kc.getContextObject(options.context) === null)
            throw new Error(`no context "${options.context}" in the kubeconfig`)
          kc.setCurrentContext(options.context)
        }
      }
      return kc
    },
    catch: (error) =>
      new BadRequestError(sdkStatus(400, "BadRequest", error instanceof Error ? error.message : String(error)))
  })

const prefixOf = (info: KindInfo): string =>
  info.group === "" ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`

/** The URL path of a collection or an object. */
export const pathOf = (info: KindInfo, namespace: string | undefined, name?: string): string =>
  `${prefixOf(info)}${info.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/${info.resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ""}`

/** `2025-01-01T00:00:01.123456789Z line` → time and line (`timestamps=true` logs). */
export const parseLogLine = (text: string): LogLine => {
  const space = text.indexOf(" ")
  const stamp = space < 0 ? text : text.slice(0, space)
  const time = Date.parse(stamp.replace(/\.(\d{3})\d*Z$/, ".$1Z"))
  return Number.isNaN(time) ? { time: 0, line: text } : { time, line: space < 0 ? "" : text.slice(space + 1) }
}

/** A remote cluster as Effects, connected while the current Scope is open. */
export const makeRemote = (options: ConnectOptions): Effect.Effect<ClusterEffect, ClusterError, Scope.Scope> =>
  Effect.gen(function* () {
    const kc = yield* kubeConfigOf(options)
    const http: HttpClient = yield* makeHttpClient(kc)

    // podlet's clock endpoint tells a podlet server (and its clock mode) from any other cluster
    const probe = yield* http.request("GET", "/podlet/v1/clock")
    if (probe.status === 401) {
      return yield* Effect.fail(new UnauthorizedError(sdkStatus(401, "Unauthorized", "Unauthorized")))
    }
    const podlet = probe.status === 200
    const clockMode: ClockMode = podlet ? (JSON.parse(probe.text) as ClockAnswer).mode : "real"
    const virtual = clockMode === "virtual"

    /** a podlet endpoint: UnsupportedError on other clusters or when this server does not offer it */
    const podletCall = (path: string, body: unknown): Effect.Effect<void, ClusterError> =>
      podlet
        ? http.json<unknown>("POST", path, { body }).pipe(
            Effect.catchIf(
              (e): e is NotFoundError => e instanceof NotFoundError && e.status.details === undefined,
              () => Effect.fail(unsupported(`this podlet server does not offer POST ${path}`))
            ),
            Effect.asVoid
          )
        : Effect.fail(unsupported(`POST ${path}: the server at ${http.server} is not a podlet server`))

    const advance = (ms: number): Effect.Effect<void, ClusterError> =>
      virtual
        ? Effect.asVoid(http.json("POST", "/podlet/v1/clock/advance", { body: { seconds: ms / 1000 } }))
        : Effect.fail(unsupported("the clock is real: it cannot be advanced"))
    const settle: Effect.Effect<void, ClusterError> = virtual ? advance(0) : Effect.void
    const now: Effect.Effect<number, ClusterError> = podlet
      ? Effect.map(http.json<ClockAnswer>("GET", "/podlet/v1/clock"), (c) => Date.parse(c.now))
      : Effect.sync(() => Date.now())
    const settled = <A>(effect: Effect.Effect<A, ClusterError>) => Effect.tap(effect, () => settle)

    const discovered = new Map<string, KindInfo>()
    const discover = (kind: string, apiVersion: string) =>
      Effect.gen(function* () {
        const key = `${apiVersion}/${kind}`
        const cached = discovered.get(key)
        if (cached !== undefined) return cached
        const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion]
        const list = yield* http.json<{
          readonly resources?: ReadonlyArray<{
            readonly name: string
            readonly kind: string
            readonly namespaced: boolean
          }>
        }>("GET", group === "" ? `/api/${version}` : `/apis/${group}/${version}`)
        const found = (list.resources ?? []).find((r) => r.kind === kind && !r.name.includes("/"))
        if (found === undefined) {
          return yield* Effect.fail(
            new BadRequestError(
              sdkStatus(400, "BadRequest", `no matches for kind "${kind}" in version "${apiVersion}"`)
            )
          )
        }
        const info: KindInfo = {
          kind,
          resource: found.name,
          group: group ?? "",
          version: version ?? "",
          namespaced: found.namespaced
        }
        discovered.set(key, info)
        return info
      })

    const resolve = (kind: string, apiVersion?: string): Effect.Effect<KindInfo, ClusterError> => {
      const known = resourceForKind(kind)
      const knownVersion =
        known === undefined ? undefined : known.group === "" ? known.version : `${known.group}/${known.version}`
      if (known !== undefined && (apiVersion === undefined || apiVersion === knownVersion)) return Effect.succeed(known)
      if (apiVersion === undefined) {
        return Effect.fail(new BadRequestError(sdkStatus(400, "BadRequest", `no matches for kind "${kind}"`)))
      }
      return discover(kind, apiVersion)
    }

    /** list items lack kind and apiVersion on the wire; the SDK's objects always carry them */
    const typed = (info: KindInfo, object: KubeObject): KubeObject =>
      object.kind !== undefined && object.apiVersion !== undefined
        ? object
        : ({
            ...object,
            kind: info.kind,
            apiVersion: info.group === "" ? info.version : `${info.group}/${info.version}`
          } as KubeObject)

    const get = (info: KindInfo, name: string, namespace: string | undefined) =>
      http.json<KubeObject>("GET", pathOf(info, namespace, name))

    const list = (
      info: KindInfo,
      listOptions: { namespace?: string; labelSelector?: string; fieldSelector?: string }
    ) =>
      Effect.map(
        http.json<{ readonly items: ReadonlyArray<KubeObject> }>("GET", pathOf(info, listOptions.namespace), {
          query: { labelSelector: listOptions.labelSelector, fieldSelector: listOptions.fieldSelector }
        }),
        (answer) => answer.items.map((o) => typed(info, o))
      )

    const podInfo = resolveKnown("Pod")
    const nodeInfo = resolveKnown("Node")

    const evict = (namespace: string, name: string) =>
      http
        .json("POST", `${pathOf(podInfo, namespace, name)}/eviction`, {
          body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } }
        })
        .pipe(
          // a 404 without details is the route, not the pod: the server has no Eviction API
          Effect.catchIf(
            (e): e is NotFoundError => e instanceof NotFoundError && e.status.details === undefined,
            () => Effect.fail(unsupported(`the server at ${http.server} does not offer pods/eviction`))
          ),
          Effect.asVoid
        )

    const cordonLine = (node: string, unschedulable: boolean) =>
      Effect.gen(function* () {
        const current = (yield* get(nodeInfo, node, undefined)) as Node
        const verb = unschedulable ? "cordoned" : "uncordoned"
        if ((current.spec?.unschedulable === true) === unschedulable) return `node/${node} already ${verb}`
        yield* http.json("PATCH", pathOf(nodeInfo, undefined, node), {
          body: { spec: { unschedulable: unschedulable ? true : null } },
          contentType: "application/merge-patch+json"
        })
        yield* settle
        return `node/${node} ${verb}`
      })

    const containerFault = (target: ContainerTarget, body: Record<string, unknown>) =>
      settled(
        podletCall(
          `${pathOf(podInfo, target.namespace ?? "default", target.pod).replace(/^\/api\/v1/, "/podlet/v1")}/faults`,
          { ...body, container: target.container }
        )
      )
    const nodeFault = (node: string, type: string) =>
      settled(podletCall(`/podlet/v1/nodes/${encodeURIComponent(node)}/faults`, { type }))

    const backend: Backend = {
      clockMode,
      now,
      advance,
      settle,
      resolve,
      applyOne: (info, object) =>
        Effect.gen(function* () {
          const name = object.metadata.name
          const namespace = info.namespaced ? (object.metadata.namespace ?? "default") : undefined
          const existing =
            name === undefined
              ? undefined
              : yield* get(info, name, namespace).pipe(
                  Effect.catchIf(
                    (e): e is NotFoundError => e instanceof NotFoundError,
                    () => Effect.succeed(undefined)
                  )
                )
          if (existing === undefined) {
            return yield* http.json<KubeObject>("POST", pathOf(info, namespace), { body: object })
          }
          const { type, patch } = applyPatchOf(object, resourceForKind(info.kind) !== undefined)
          return yield* http.json<KubeObject>("PATCH", pathOf(info, namespace, name), {
            body: patch,
            contentType:
              type === "strategic" ? "application/strategic-merge-patch+json" : "application/merge-patch+json"
          })
        }),
      get,
      list,
      delete: (info, name, namespace, deleteOptions) =>
        Effect.asVoid(
          http.json("DELETE", pathOf(info, namespace, name), {
            body: {
              apiVersion: "v1",
              kind: "DeleteOptions",
              ...(deleteOptions.gracePeriodSeconds !== undefined
                ? { gracePeriodSeconds: deleteOptions.gracePeriodSeconds }
                : {}),
              ...(deleteOptions.propagationPolicy !== undefined
                ? { propagationPolicy: deleteOptions.propagationPolicy }
                : {})
            }
          })
        ),
      evict,
      logs: (namespace, pod, container, previous) =>
        Effect.map(
          http.text("GET", `${pathOf(podInfo, namespace, pod)}/log`, {
            query: { container, timestamps: "true", ...(previous ? { previous: "true" } : {}) }
          }),
          (text) =>
            text
              .split("\n")
              .filter((l, i, all) => l !== "" || i < all.length - 1)
              .map(parseLogLine)
        ),
      watch: (info, listOptions) =>
        http
          .watch(pathOf(info, listOptions.namespace), {
            labelSelector: listOptions.labelSelector,
            fieldSelector: listOptions.fieldSelector
          })
          .pipe(Stream.map((e) => ({ type: e.type, object: typed(info, e.object) }))),
      cordon: (node, unschedulable) => Effect.asVoid(cordonLine(node, unschedulable)),
      drain: (node, drainOptions) =>
        drainWith(
          {
            cordon: (name) => cordonLine(name, true),
            podsOn: (name) =>
              list(podInfo, { fieldSelector: `spec.nodeName=${name}` }) as unknown as Effect.Effect<
                ReadonlyArray<Pod>,
                ClusterError
              >,
            evict: (namespace, name) => settled(evict(namespace, name)),
            find: (namespace, name) =>
              get(podInfo, name, namespace).pipe(
                Effect.map((o) => o as Pod | undefined),
                Effect.catchIf(
                  (e): e is NotFoundError => e instanceof NotFoundError,
                  () => Effect.succeed(undefined)
                )
              ),
            now,
            wait: (ms) => (virtual ? advance(ms) : Effect.sleep(ms))
          },
          node,
          drainOptions
        ),
      addNode: () => Effect.fail(unsupported("nodes.add: a remote cluster's nodes join by themselves")),
      faults: {
        containerExit: (target, exitCode) => containerFault(target, { type: "exit", exitCode }),
        containerOOM: (target) => containerFault(target, { type: "oom" }),
        stopHeartbeat: (node) => nodeFault(node, "stop-heartbeat"),
        resumeHeartbeat: (node) => nodeFault(node, "resume-heartbeat"),
        diskFailure: (node) => nodeFault(node, "disk-failure"),
        memoryPressure: (node) => nodeFault(node, "memory-pressure"),
        recover: (node) => nodeFault(node, "recover"),
        registryOutage: (down) =>
          settled(podletCall("/podlet/v1/registry/faults", { type: down ? "outage" : "recover" }))
      },
      images: {
        add: (image) => {
          const ref = splitImageRef(image.name)
          const tag = image.tag ?? ref.tag
          return settled(
            podletCall("/podlet/v1/images", {
              image: tag === undefined ? ref.name : `${ref.name}:${tag}`,
              ...(image.pullSeconds !== undefined ? { pullSeconds: image.pullSeconds } : {})
            })
          )
        },
        preload: (node, image) => settled(podletCall(`/podlet/v1/nodes/${encodeURIComponent(node)}/images`, { image }))
      }
    }
    return makeClusterOps(backend)
  })

function resolveKnown(kind: string): KindInfo {
  const known = resourceForKind(kind)
  if (known === undefined) throw new Error(`podlet core does not know kind ${kind}`)
  return known
}
