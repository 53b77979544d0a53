/**
 * Runs the portable suite (`suite.mjs`) from the packed package, as a consumer installs it,
 * in each runtime: Node, headless Chromium (no bundler: an import map over the package's
 * `browser` build) and workerd (bundled with esbuild the way Cloudflare's tooling bundles a
 * worker, with the `workerd`/`worker`/`browser` conditions). Fixtures come from a loopback
 * HTTP server; nothing reaches beyond 127.0.0.1, and every wait is bounded.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { REPO_ROOT, fixturePath } from "../support/fixtures.js";

/** What `runSuite` in suite.mjs resolves to. */
export interface SuiteReport {
  runtime: string;
  checks: { name: string; ok: boolean; ms: number; error?: string }[];
}

/** How long one runtime may take to run the whole suite. */
export const RUNTIME_TIMEOUT_MS = 60_000;

/** The portable subpaths the suite covers (package.json `exports` keys). */
export const PORTABLE_SUBPATHS = [
  ".",
  "./core",
  "./codecs",
  "./nar",
  "./derivation",
  "./narinfo",
  "./signing",
  "./schemas",
  "./daemon",
  "./export",
  "./cache",
] as const;

const SUITE = join(REPO_ROOT, "test", "runtimes", "suite.mjs");

/** Runs a command, returning stdout; throws with stderr on failure or time-out. */
function run(cmd: string, args: string[], cwd: string, timeout = 120_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}`);
  }
  return r.stdout;
}

/**
 * Packs the package (`npm pack`, so exactly what would be published) and installs the tarball
 * into a fresh consumer project with `npm ci --offline`: its lockfile pins the package's
 * dependencies to the versions and integrity hashes of this repository's lockfile, whose
 * tarballs `npm ci` has just put in npm's cache, so no registry is asked. Returns the
 * consumer's folder, holding a copy of suite.mjs.
 */
export function packAndInstall(): string {
  const dir = mkdtempSync(join(tmpdir(), "nix-compat-consumer-"));
  const packed = JSON.parse(
    run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], REPO_ROOT),
  ) as { filename: string; version: string }[];
  const tarball = `file:${packed[0]!.filename}`;
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dependencies?: Record<string, string> }>;
  };
  const packages: Record<string, unknown> = {
    "": { name: "consumer", dependencies: { "nix-compat": tarball } },
    "node_modules/nix-compat": {
      version: packed[0]!.version,
      resolved: tarball,
      dependencies: manifest.dependencies,
    },
  };
  const pending = Object.keys(manifest.dependencies);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const key = `node_modules/${name}`;
    if (key in packages) continue;
    const entry = lock.packages[key];
    if (entry === undefined) throw new Error(`package-lock.json has no ${key}`);
    packages[key] = entry;
    pending.push(...Object.keys(entry.dependencies ?? {}));
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: { "nix-compat": tarball },
    }),
  );
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ name: "consumer", lockfileVersion: 3, requires: true, packages }),
  );
  try {
    run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], dir);
  } catch (e) {
    throw new Error(
      "installing the packed package offline failed; its dependencies' tarballs must be in " +
        `npm's cache, as \`npm ci\` in this repository leaves them: ${(e as Error).message}`,
    );
  }
  copyFileSync(SUITE, join(dir, "suite.mjs"));
  return dir;
}

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".html": "text/html",
};

/** The loopback server: fixtures, the consumer's files and the browser page. */
export interface SuiteServer {
  /** e.g. `http://127.0.0.1:34567` */
  origin: string;
  /** Where the suite reads fixtures. */
  fixturesUrl: string;
  /** Resolves with the first JSON document a page posts to `/post/<key>`. */
  posted(key: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Resolves `rel` inside `base`, or undefined if it would leave it. */
function inside(base: string, rel: string): string | undefined {
  const p = resolve(base, `.${sep}${decodeURIComponent(rel)}`);
  return p.startsWith(base + sep) ? p : undefined;
}

/** The import map a page needs to load the package without a bundler. */
export function browserImportMap(
  consumer: string,
  prefix: string,
): { imports: Record<string, string> } {
  const pkgDir = join(consumer, "node_modules", "nix-compat");
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
    exports: Record<string, { browser?: string }>;
  };
  const imports: Record<string, string> = {};
  for (const subpath of PORTABLE_SUBPATHS) {
    const target = pkg.exports[subpath]?.browser;
    if (target === undefined) throw new Error(`exports["${subpath}"] has no browser condition`);
    imports[`nix-compat${subpath.slice(1)}`] =
      `${prefix}/node_modules/nix-compat/${target.slice(2)}`;
  }
  return { imports };
}

function page(consumer: string, origin: string): string {
  const map = browserImportMap(consumer, "/consumer");
  return `<!doctype html>
<meta charset="utf-8">
<title>nix-compat portable suite</title>
<script type="importmap">${JSON.stringify(map)}</script>
<script type="module">
const post = (report) => fetch("/post/suite", { method: "POST", body: JSON.stringify(report) });
import("/consumer/suite.mjs")
  .then((m) => m.runSuite(${JSON.stringify(`${origin}/fixtures/`)}))
  .then(post, (e) => post({ runtime: "browser", checks: [{ name: "load the suite", ok: false, ms: 0, error: String(e && e.stack || e) }] }));
</script>
`;
}

/**
 * The README's browser example (its `html` block) as a page of this server: the package and
 * its placeholder inputs mapped to the consumer's files and fixtures, and `console.log` sending
 * what the example prints to `/post/readme` once it has printed `lines` lines (or failed).
 */
function readmePage(lines: number): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const block = /## In browsers[\s\S]*?```html\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error("README.md has no html block under '## In browsers'");
  const drv = readdirSync(fixturePath("derivation", "ok"))
    .sort()
    .find((n) => n.endsWith("-foo.drv"));
  const example = block
    .replaceAll('"/node_modules/nix-compat/', '"/consumer/node_modules/nix-compat/')
    .replaceAll('"/some.nar"', '"/fixtures/nar/complicated.nar"')
    .replaceAll('"/hello.drv"', `"/fixtures/derivation/ok/${drv}"`);
  return `<!doctype html>
<meta charset="utf-8">
<script>
const post = (body) => fetch("/post/readme", { method: "POST", body: JSON.stringify(body) });
const printed = [];
console.log = (...args) => { printed.push(args); if (printed.length === ${lines}) post({ printed }); };
// Capturing: a module script that fails to load fires "error" on its element, not on window.
addEventListener("error", (e) => post({ error: String(e.message || "could not load " + (e.target && e.target.src)) }), true);
addEventListener("unhandledrejection", (e) => post({ error: String(e.reason && e.reason.stack || e.reason) }));
</script>
${example}`;
}

/** Starts the loopback server for a consumer folder. */
export async function startServer(consumer: string): Promise<SuiteServer> {
  const fixtures = fixturePath();
  const posts = new Map<string, { promise: Promise<unknown>; deliver: (v: unknown) => void }>();
  const post = (key: string) => {
    let entry = posts.get(key);
    if (entry === undefined) {
      let deliver: (v: unknown) => void = () => undefined;
      const promise = new Promise<unknown>((r) => (deliver = r));
      entry = { promise, deliver };
      posts.set(key, entry);
    }
    return entry;
  };
  let origin = "";
  const send = (
    res: ServerResponse,
    status: number,
    body: string | Uint8Array,
    type = "text/plain",
  ) => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", origin);
    const path = url.pathname;
    if (req.method === "POST" && path.startsWith("/post/")) {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        send(res, 204, "");
        post(path.slice("/post/".length)).deliver(
          JSON.parse(Buffer.concat(chunks).toString("utf8")),
        );
      });
      return;
    }
    if (path === "/" || path === "/index.html")
      return send(res, 200, page(consumer, origin), "text/html");
    if (path === "/readme.html") return send(res, 200, readmePage(2), "text/html");
    if (path === "/favicon.ico") return send(res, 404, "");
    if (path === "/fixtures/index.json") {
      const derivations = readdirSync(join(fixtures, "derivation", "ok"))
        .filter((n) => n.endsWith(".drv"))
        .sort();
      return send(res, 200, JSON.stringify({ derivations }), "application/json");
    }
    const [base, rel] = path.startsWith("/fixtures/")
      ? [fixtures, path.slice("/fixtures/".length)]
      : path.startsWith("/consumer/")
        ? [consumer, path.slice("/consumer/".length)]
        : [undefined, ""];
    const file = base === undefined ? undefined : inside(base, rel);
    if (file === undefined || !existsSync(file)) return send(res, 404, `not found: ${path}`);
    const body = readFileSync(file);
    const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
    const chunk = Number(url.searchParams.get("chunk") ?? 0);
    if (chunk > 0) {
      // Small writes, so that readers meet tokens split across chunks.
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      for (let i = 0; i < body.length; i += chunk) res.write(body.subarray(i, i + chunk));
      res.end();
      return;
    }
    send(res, 200, body, type);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    fixturesUrl: `${origin}/fixtures/`,
    posted: (key) => post(key).promise,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Rejects after `ms` with a message naming what timed out. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Collects a child's output and ends its whole process group when asked. */
function supervise(child: ChildProcess): { output: () => string; stop: () => void } {
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString("utf8")));
  return {
    output: () => out,
    stop: () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    },
  };
}

/** A command-line runtime that runs a module file: how to call it on one. */
export interface ProcessRuntime {
  /** The name `runSuite` reports (`node`, `deno`, `bun`). */
  name: string;
  /** The executable. */
  command: string;
  /** Arguments before the module file. */
  args: string[];
}

/** This Node, the one running the tests. */
export const NODE: ProcessRuntime = { name: "node", command: process.execPath, args: [] };

/**
 * Deno or Bun from this repository's node_modules (their npm packages ship the binaries),
 * or from the PATH; undefined where neither answers `--version`.
 */
export function findProcessRuntime(name: "deno" | "bun"): ProcessRuntime | undefined {
  const args =
    name === "deno"
      ? // Network for the loopback server only, reading only the consumer's folder.
        ["run", "--allow-net=127.0.0.1", "--allow-read=.", "--no-lock"]
      : ["run", "--no-install"];
  for (const command of [join(REPO_ROOT, "node_modules", ".bin", name), name]) {
    const r = spawnSync(command, ["--version"], { timeout: 20_000, stdio: "ignore" });
    if (r.status === 0) return { name, command, args };
  }
  return undefined;
}

/**
 * Runs the suite in a process of its own inside the consumer project, which imports the
 * package by name as its own code would.
 */
export async function runInProcess(
  runtime: ProcessRuntime,
  consumer: string,
  server: SuiteServer,
): Promise<SuiteReport> {
  writeFileSync(
    join(consumer, "run-suite.mjs"),
    'import { runSuite } from "./suite.mjs";\n' +
      "const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);\n" +
      "console.log(JSON.stringify(await runSuite(args[0])));\n",
  );
  const child = spawn(runtime.command, [...runtime.args, "run-suite.mjs", server.fixturesUrl], {
    cwd: consumer,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // No update checks or telemetry: nothing but the loopback server is reached.
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DO_NOT_TRACK: "1" },
  });
  const s = supervise(child);
  let stdout = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  const code = await within(
    RUNTIME_TIMEOUT_MS,
    runtime.name,
    new Promise<number | null>((r) => child.on("close", r)),
  ).finally(s.stop);
  if (code !== 0) throw new Error(`${runtime.name} exited ${code}: ${s.output()}`);
  return JSON.parse(stdout.trim().split("\n").pop() ?? "") as SuiteReport;
}

/** The Chromium binary: `$CHROMIUM`, or Debian's `chromium` on the PATH. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM, "chromium", "chromium-browser"].filter(
    (c): c is string => c !== undefined && c !== "",
  );
  for (const c of candidates) {
    const r = spawnSync(c, ["--version"], { encoding: "utf8", timeout: 20_000 });
    if (r.status === 0) return c;
  }
  return undefined;
}

/** Flags for a quiet, loopback-only headless Chromium. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--disable-extensions",
  "--no-default-browser-check",
];

/**
 * Opens `page` of the server in headless Chromium and resolves with what it posts to
 * `/post/<key>`: the suite's page (`/index.html`, key `suite`) loads the installed package's
 * `browser` build through an import map and posts its report.
 */
export async function runInChromium(
  chromium: string,
  server: SuiteServer,
  page = "/index.html",
  key = "suite",
): Promise<unknown> {
  const profile = mkdtempSync(join(tmpdir(), "nix-compat-chromium-"));
  const child = spawn(
    chromium,
    [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, `${server.origin}${page}`],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const s = supervise(child);
  const exited = new Promise<never>((_, reject) =>
    child.on("close", (code) =>
      reject(new Error(`chromium exited (${code}) before reporting: ${s.output()}`)),
    ),
  );
  try {
    return await within(RUNTIME_TIMEOUT_MS, "chromium", Promise.race([server.posted(key), exited]));
  } finally {
    s.stop();
    await new Promise((r) => setTimeout(r, 200));
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The workerd binary shipped by the `workerd` npm package, or undefined where it is missing. */
export function findWorkerd(): string | undefined {
  try {
    const bin = (createRequire(import.meta.url)("workerd") as { default: string }).default;
    execFileSync(bin, ["--version"], { timeout: 20_000, stdio: "ignore" });
    return bin;
  } catch {
    return undefined;
  }
}

/** A free loopback port (closed again, so workerd can take it). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Runs the suite in workerd: bundles a worker that calls it (esbuild, with the conditions
 * Cloudflare's tooling uses), serves it on a loopback port, and asks it once. The worker reads
 * its fixtures, and the NARs it streams through `readNar`, with `fetch()` from the server.
 */
export async function runInWorkerd(
  workerd: string,
  consumer: string,
  server: SuiteServer,
): Promise<SuiteReport> {
  const { build } = await import("esbuild");
  writeFileSync(
    join(consumer, "worker.mjs"),
    'import { runSuite } from "./suite.mjs";\n' +
      "export default {\n" +
      "  async fetch(request) {\n" +
      '    const base = new URL(request.url).searchParams.get("base");\n' +
      "    return Response.json(await runSuite(base));\n" +
      "  },\n" +
      "};\n",
  );
  await build({
    absWorkingDir: consumer,
    entryPoints: ["worker.mjs"],
    outfile: "worker.bundle.js",
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    logLevel: "error",
  });
  const port = await freePort();
  writeFileSync(
    join(consumer, "workerd.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .suite),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const suite :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.bundle.js")],
  compatibilityDate = "2025-09-01",
);
`,
  );
  const child = spawn(workerd, ["serve", "workerd.capnp"], {
    cwd: consumer,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const s = supervise(child);
  try {
    return await within(
      RUNTIME_TIMEOUT_MS,
      "workerd",
      (async () => {
        const url = `http://127.0.0.1:${port}/?base=${encodeURIComponent(server.fixturesUrl)}`;
        for (let attempt = 0; ; attempt++) {
          if (child.exitCode !== null) throw new Error(`workerd exited: ${s.output()}`);
          try {
            const res = await fetch(url, { signal: AbortSignal.timeout(RUNTIME_TIMEOUT_MS) });
            const body = await res.text();
            if (!res.ok) throw new Error(`workerd answered ${res.status}: ${body}\n${s.output()}`);
            return JSON.parse(body) as SuiteReport;
          } catch (e) {
            // Not listening yet: try again shortly (bounded by `within`).
            if ((e as { cause?: { code?: string } }).cause?.code !== "ECONNREFUSED") throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      })(),
    );
  } finally {
    s.stop();
  }
}
