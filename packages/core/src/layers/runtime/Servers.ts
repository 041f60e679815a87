/**
 * How the long-running server programs behave: the files their image ships, what they log when
 * they start, the environment they refuse to start without (postgres, mysql exit 1 as on a real
 * cluster), and how they answer HTTP (nginx and httpd serve their document root, so a configMap
 * mounted over it is served; anything else answers 200). Every server exits 143 on SIGTERM (RTM-8).
 */
import type { VirtualFs } from "../../sim/VirtualFs.js"
import type { ServerKind } from "./Program.js"

/** A server's HTTP answer. */
export interface ServerResponse {
  readonly status: number
  readonly body: string
}

const nginxIndex = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`

const nginx404 =
  "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.3</center>\r\n</body>\r\n</html>\r\n"

const httpd404 =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n'

/** Files a server image ships beyond the base directories. */
export const serverImageFiles: Readonly<Partial<Record<ServerKind, Readonly<Record<string, string>>>>> = {
  nginx: { "/usr/share/nginx/html/index.html": nginxIndex },
  httpd: { "/usr/local/apache2/htdocs/index.html": "<html><body><h1>It works!</h1></body></html>\n" }
}

const docRoot: Readonly<Partial<Record<ServerKind, string>>> = {
  nginx: "/usr/share/nginx/html",
  httpd: "/usr/local/apache2/htdocs"
}

/** Lines a server logs when it starts (constants: shared between instances). */
export const startLines: Readonly<Partial<Record<ServerKind, ReadonlyArray<string>>>> = {
  nginx: [
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up"
  ],
  httpd: [
    "AH00558: httpd: Could not reliably determine the server's fully qualified domain name. Set the 'ServerName' directive globally to suppress this message"
  ],
  redis: ["1:C * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", "1:M * Ready to accept connections tcp"],
  postgres: ["LOG:  database system is ready to accept connections"],
  mysql: ["[Server] /usr/sbin/mysqld: ready for connections. Port: 3306"]
}

const postgresNoPassword = [
  "Error: Database is uninitialized and superuser password is not specified.",
  "       You must specify POSTGRES_PASSWORD to a non-empty value for the",
  '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".',
  "",
  '       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all',
  "       connections without a password. This is *not* recommended.",
  "",
  '       See PostgreSQL documentation about "trust":',
  "       https://www.postgresql.org/docs/current/auth-trust.html"
]

const mysqlNoPassword = [
  "[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified",
  "    You need to specify one of the following as an environment variable:",
  "    - MYSQL_ROOT_PASSWORD",
  "    - MYSQL_ALLOW_EMPTY_PASSWORD",
  "    - MYSQL_RANDOM_ROOT_PASSWORD"
]

/** A server that refuses to start with this environment: its stderr lines (it exits 1). */
export const refusesToStart = (
  kind: ServerKind,
  env: Readonly<Record<string, string>>
): ReadonlyArray<string> | undefined => {
  if (kind === "postgres" && !env.POSTGRES_PASSWORD && env.POSTGRES_HOST_AUTH_METHOD !== "trust") {
    return postgresNoPassword
  }
  if (
    kind === "mysql" &&
    !env.MYSQL_ROOT_PASSWORD &&
    !env.MYSQL_ALLOW_EMPTY_PASSWORD &&
    !env.MYSQL_RANDOM_ROOT_PASSWORD
  ) {
    return mysqlNoPassword
  }
  return undefined
}

/** The server's answer to `GET path` from its container's files (`undefined` fs: the image's files only). */
export const serverHttp = (kind: ServerKind, fs: VirtualFs | undefined, path: string): ServerResponse | undefined => {
  const root = docRoot[kind]
  if (root === undefined) return undefined
  const clean = path.split("?")[0] ?? "/"
  const file = clean.endsWith("/") ? `${root}${clean}index.html` : `${root}${clean}`
  if (fs === undefined) {
    const shipped = serverImageFiles[kind]?.[file]
    return shipped !== undefined ? { status: 200, body: shipped } : notFound(kind)
  }
  if (fs.isFile(file)) return { status: 200, body: fs.readFile(file) }
  return notFound(kind)
}

const notFound = (kind: ServerKind): ServerResponse => ({ status: 404, body: kind === "nginx" ? nginx404 : httpd404 })

/** What a server image's own tools can reach: a TCP connect from the container, the main process's signals. */
export interface ToolHost {
  readonly connect: (host: string, port: number) => boolean
  readonly signalMain: (signal: "QUIT" | "TERM" | "HUP") => void
}

const option = (argv: ReadonlyArray<string>, flag: string): string | undefined => {
  const i = argv.indexOf(flag)
  if (i >= 0) return argv[i + 1]
  const joined = argv.find((a) => a.startsWith(flag) && a.length > flag.length && !a.startsWith("--"))
  return joined?.slice(flag.length)
}

/**
 * The health tools server images ship, as exec probes use them: `redis-cli ping`, `pg_isready`,
 * `mysqladmin ping`, `nginx -s quit|stop|reload`, `nginx -t`. Undefined for any other argv.
 */
export const serverTool = (
  argv: ReadonlyArray<string>,
  host: ToolHost
): { readonly exitCode: number; readonly output: string } | undefined => {
  const name = argv[0]?.slice(argv[0].lastIndexOf("/") + 1)
  switch (name) {
    case "redis-cli": {
      const h = option(argv, "-h") ?? "127.0.0.1"
      const p = Number(option(argv, "-p") ?? 6379)
      if (!host.connect(h, p))
        return { exitCode: 1, output: `Could not connect to Redis at ${h}:${p}: Connection refused\n` }
      return { exitCode: 0, output: argv.some((a) => a.toLowerCase() === "ping") ? "PONG\n" : "OK\n" }
    }
    case "pg_isready": {
      const h = option(argv, "-h")
      const p = Number(option(argv, "-p") ?? 5432)
      const where = h === undefined ? `/var/run/postgresql:${p}` : `${h}:${p}`
      const quiet = argv.includes("-q")
      if (!host.connect(h ?? "127.0.0.1", p)) return { exitCode: 2, output: quiet ? "" : `${where} - no response\n` }
      return { exitCode: 0, output: quiet ? "" : `${where} - accepting connections\n` }
    }
    case "mysqladmin": {
      const h = option(argv, "-h") ?? "localhost"
      const p = Number(option(argv, "-P") ?? 3306)
      if (!host.connect(h === "localhost" ? "127.0.0.1" : h, p)) {
        return {
          exitCode: 1,
          output: `mysqladmin: connect to server at '${h}' failed\nerror: 'Can't connect to local MySQL server through socket '/var/run/mysqld/mysqld.sock' (2)'\nCheck that mysqld is running and that the socket: '/var/run/mysqld/mysqld.sock' exists!\n`
        }
      }
      return { exitCode: 0, output: "mysqld is alive\n" }
    }
    case "nginx": {
      if (argv[1] === "-t") {
        return {
          exitCode: 0,
          output:
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n"
        }
      }
      if (argv[1] === "-s") {
        const action = argv[2]
        if (action === "quit") host.signalMain("QUIT")
        else if (action === "stop") host.signalMain("TERM")
        else if (action === "reload") host.signalMain("HUP")
        else return { exitCode: 1, output: `nginx: invalid option: "-s ${action ?? ""}"\n` }
        return { exitCode: 0, output: "" }
      }
      return undefined
    }
    default:
      return undefined
  }
}
