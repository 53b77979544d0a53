// Cache server: a 200 MB path downloaded through `nix-compat cache serve` (daemon store,
// uncompressed) against Nix streaming the same NAR from the daemon
// (`nix store dump-path --store ssh-ng://localhost` with NIX_REMOTE=daemon: Nix relays the
// worker protocol, NarFromPath goes daemon → socket → relay → pipe → nix; see
// daemon.bench.mjs for why not `--store unix://`), narinfo requests per second on one (and
// four) keep-alive connections, each signed on the fly, xz and zstd through the server both
// ways, 50 concurrent downloads of the 200 MB path (the server's peak RSS), and the Worker's
// CPU completing a NAR uploaded in parts (bench/cache-worker-parts.mjs). Parts:
// NIX_COMPAT_BENCH_CACHE=download,narinfo,compressed,concurrent,worker (default all).
//
// Two downloads of ours: curl (the HTTP path alone) and `nix store dump-path --store
// http://...` (Nix itself reading our server: HTTP, plus its NarHash check).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import {
  addPatternPath,
  CLI,
  HAVE_NIX,
  have,
  measureCpu,
  printTable,
  ratio,
  startDaemon,
  WORK_DIR,
} from "./lib.mjs";
import { workerPartsCpu } from "./cache-worker-parts.mjs";

if (!HAVE_NIX || !existsSync("/nix/var/nix") || !have("curl")) {
  printTable("cache server (needs real Nix, its store and curl)", []);
  process.exit(0);
}

const SIZE_MB = Number(process.env.NIX_COMPAT_BENCH_DAEMON_MB ?? 200);
const NARINFO_SECONDS = 1;
const NARINFO_ROUNDS = 3;
/** Parts to run: NIX_COMPAT_BENCH_CACHE=download,narinfo,compressed,concurrent,worker (default all). */
const PARTS = (
  process.env.NIX_COMPAT_BENCH_CACHE ?? "download,narinfo,compressed,concurrent,worker"
).split(",");
const part = (name) => PARTS.includes(name);
const COMPRESSED_MB = 32;

const path = addPatternPath(SIZE_MB);

/** A path of 100 folders x 200 files of 2 KiB (45 MB of NAR, mostly NAR framing per file). */
function addManyFilesPath() {
  const tree = join(WORK_DIR, "cache-many-files");
  if (!existsSync(tree)) {
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(tree, `d${d}`), { recursive: true });
      for (let f = 0; f < 200; f++) {
        const bytes = Buffer.alloc(2048);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + f * 7 + d) & 255;
        writeFileSync(join(tree, `d${d}`, `f${f}`), bytes);
      }
    }
  }
  return spawnSync("nix-store", ["--add", tree], { encoding: "utf8" }).stdout.trim();
}
const keyFile = join(WORK_DIR, "cache-bench.sk");
writeFileSync(
  keyFile,
  spawnSync(process.execPath, [CLI, "key", "generate-secret", "--key-name", "bench-1"]).stdout,
);

/** `nix-compat cache serve` on a free port; resolves with its URL and process. */
function startServer(store, extra = [], cli = CLI) {
  const child = spawn(
    process.execPath,
    [
      cli,
      ...["cache", "serve", "--store", store, "--listen", "127.0.0.1:0", "--secret-key", keyFile],
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once("exit", () => reject(new Error(`cache serve exited: ${out}`)));
  });
}

/** GETs `url`; resolves with the body as text. */
function get(agent, url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(url))));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * Requests per second for `seconds`: `connections` raw keep-alive sockets, each sending the
 * next GET of `target` once the response before it arrived whole (by its Content-Length).
 */
function requestRate(port, target, seconds, connections) {
  const request = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, "latin1");
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let done = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1");
      let buf = Buffer.alloc(0);
      socket.setNoDelay(true);
      socket.on("connect", () => socket.write(request));
      socket.on("error", reject);
      socket.on("data", (chunk) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        for (;;) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = buf.subarray(0, end).toString("latin1");
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1]);
          if (!head.startsWith("HTTP/1.1 200") || Number.isNaN(length)) {
            socket.destroy();
            reject(new Error(`${target}: ${head}`));
            return;
          }
          if (buf.length < end + 4 + length) return;
          buf = buf.subarray(end + 4 + length);
          done++;
          if (process.hrtime.bigint() >= deadline) {
            socket.end();
            resolve();
            return;
          }
          socket.write(request);
        }
      });
    });
  const t0 = process.hrtime.bigint();
  return Promise.all(Array.from({ length: connections }, one)).then(
    () => done / (Number(process.hrtime.bigint() - t0) / 1e9),
  );
}

/** The narinfo request rates (see where it is called). */
async function narinfoRates(hashPart) {
  const uncached = await startServer(`unix://${daemon.socket}`, ["--path-info-ttl", "0"]);
  const base = process.env.NIX_COMPAT_BENCH_BASE;
  const baseServer =
    base === undefined
      ? undefined
      : await startServer(`unix://${daemon.socket}`, [], join(base, "dist", "cli", "main.js"));
  try {
    const narinfoPath = `/${hashPart}.narinfo`;
    const contenders = [
      ["narinfo, signed (path info reused ≤ 1 s)", server.url, narinfoPath],
      ["narinfo, signed, --path-info-ttl 0 (daemon per request)", uncached.url, narinfoPath],
      ...(baseServer ? [[`narinfo, signed, ${base}`, baseServer.url, narinfoPath]] : []),
      ["nix-cache-info (the HTTP floor)", server.url, "/nix-cache-info"],
      ...(baseServer ? [[`nix-cache-info, ${base}`, baseServer.url, "/nix-cache-info"]] : []),
    ];
    const best = new Map();
    for (let round = 0; round < NARINFO_ROUNDS; round++) {
      for (const [name, url, target] of contenders) {
        for (const connections of [1, 4]) {
          const r = await requestRate(new URL(url).port, target, NARINFO_SECONDS, connections);
          const key = `${name}|${connections}`;
          best.set(key, Math.max(best.get(key) ?? 0, r));
        }
      }
    }
    const floor = best.get(`nix-cache-info (the HTTP floor)|1`);
    printTable(
      `requests per second, keep-alive, one at a time per connection (best of ${NARINFO_ROUNDS} interleaved; ${load()})`,
      contenders.map(([name]) => ({
        request: name,
        "1 connection /s": best.get(`${name}|1`),
        "4 connections /s": best.get(`${name}|4`),
        "target (1 conn, narinfo)": name.startsWith("narinfo")
          ? best.get(`${name}|1`) >= 2000
            ? "≥ 2,000/s ✓"
            : "≥ 2,000/s ✗"
          : "",
        "ratio to HTTP floor (1 conn)": (best.get(`${name}|1`) / floor).toFixed(2),
      })),
    );
  } finally {
    uncached.child.kill("SIGTERM");
    baseServer?.child.kill("SIGTERM");
  }
}

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM). */
function procBytes(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  return Number(m[1]) * 1024;
}

/**
 * Downloads `url` on a raw socket, reading as fast as it comes, or at first slowly (a few KiB
 * every 50 ms for `slowMs`: a client on a bad line) and then at full speed; resolves with the
 * bytes of the body.
 */
function download(url, slowMs = 0) {
  const { port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let head = "";
    let body = 0;
    let length;
    const slowUntil = Date.now() + slowMs;
    socket.on("error", reject);
    socket.on("connect", () =>
      socket.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    socket.on("data", (c) => {
      if (length === undefined) {
        head += c.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        length = Number(/content-length: *(\d+)/i.exec(head.slice(0, end))[1]);
        body = head.length - end - 4;
      } else {
        body += c.length;
      }
      if (body >= length) {
        socket.destroy();
        resolve(body);
      } else if (Date.now() < slowUntil) {
        socket.pause();
        setTimeout(() => socket.resume(), 50);
      }
    });
    socket.on("close", () => (body >= length ? undefined : reject(new Error(`short: ${body}`))));
  });
}

/**
 * 50 concurrent downloads of the 200 MB path from a fresh `cache serve` (daemon store), 10 of
 * them slow for their first 3 s: the server's peak RSS (VmHWM) and the time for all, beside
 * one download alone. The NAR streams with backpressure (a response is read from the daemon
 * only as fast as its client takes it), so memory stays bounded whatever the clients do.
 */
async function concurrentDownloads() {
  const CONCURRENT = Number(process.env.NIX_COMPAT_BENCH_CONCURRENT ?? 50);
  const SLOW = Math.floor(CONCURRENT / 5);
  const fresh = await startServer(`unix://${daemon.socket}`);
  try {
    const text = await get(undefined, `${fresh.url}/${path.slice(11, 43)}.narinfo`);
    const url = `${fresh.url}/${/^URL: (.*)$/m.exec(text)[1]}`;
    const pid = fresh.child.pid;
    const idle = procBytes(pid, "VmRSS");
    let t0 = process.hrtime.bigint();
    await download(url);
    const alone = Number(process.hrtime.bigint() - t0) / 1e9;
    let sampled = 0;
    const sampler = setInterval(() => (sampled = Math.max(sampled, procBytes(pid, "VmRSS"))), 50);
    t0 = process.hrtime.bigint();
    const sizes = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => download(url, i < SLOW ? 3000 : 0)),
    );
    const all = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    const peak = procBytes(pid, "VmHWM");
    const MiB = (b) => b / 1048576;
    printTable(
      `${CONCURRENT} concurrent downloads of a ${SIZE_MB} MB path, ${SLOW} slow for 3 s (cache serve, daemon store; ${load()})`,
      [
        {
          downloads: 1,
          seconds: alone,
          "GB/s total": (SIZE_MB * 1e6) / 1e9 / alone,
          "server RSS idle MiB": MiB(idle),
          "server peak RSS MiB (VmHWM)": "",
          "bytes ok": "",
        },
        {
          downloads: CONCURRENT,
          seconds: all,
          "GB/s total": (CONCURRENT * SIZE_MB * 1e6) / 1e9 / all,
          "server RSS idle MiB": "",
          "server peak RSS MiB (VmHWM)": `${MiB(peak).toFixed(0)} (sampled ${MiB(sampled).toFixed(0)})`,
          "bytes ok": sizes.every((n) => n === sizes[0]) ? "✓" : "✗",
        },
      ],
    );
  } finally {
    fresh.child.kill("SIGTERM");
  }
}

const load = () => spawnSync("uptime", { encoding: "utf8" }).stdout.trim();
const daemon = await startDaemon();
const server = await startServer(`unix://${daemon.socket}`);
try {
  const hashPart = path.slice("/nix/store/".length, "/nix/store/".length + 32);
  const narinfo = await get(undefined, `${server.url}/${hashPart}.narinfo`);
  const narUrl = `${server.url}/${/^URL: (.*)$/m.exec(narinfo)[1]}`;
  const viaSocket = { NIX_REMOTE: "daemon", NIX_DAEMON_SOCKET_PATH: daemon.socket };
  console.log(`load before: ${load()}`);
  // interleaved rounds (a slow spell of the shared machine hits each alike); best wall of 3
  const keepBest = (b, r) => (b === undefined || r.seconds < b.seconds ? r : b);
  let nixSocket;
  let curl;
  let nixHttp;
  // a path of many small files: the NAR reader and the write sizes, not the copy, count
  const many = part("download") ? addManyFilesPath() : undefined;
  const manyNarinfo =
    many === undefined ? "" : await get(undefined, `${server.url}/${many.slice(11, 43)}.narinfo`);
  const manyUrl = `${server.url}/${/^URL: (.*)$/m.exec(manyNarinfo)?.[1]}`;
  let manySocket;
  let manyCurl;
  // the server's CPU (user + system) during one of our downloads: robust to the load
  const serverCpu = () => {
    const f = readFileSync(`/proc/${server.child.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  const withServerCpu = (measure) => {
    const before = serverCpu();
    const m = measure();
    return { ...m, serverCpu: serverCpu() - before };
  };
  const viaSsh = (p) =>
    measureCpu("nix", ["store", "dump-path", "--store", "ssh-ng://localhost", p], viaSocket, 1);
  const ourCurl = (url) =>
    withServerCpu(() => measureCpu("curl", ["-sf", "-o", "/dev/null", url], {}, 1));
  for (let round = 0; round < (part("download") ? 3 : 0); round++) {
    nixSocket = keepBest(nixSocket, viaSsh(path));
    curl = keepBest(curl, ourCurl(narUrl));
    manySocket = keepBest(manySocket, viaSsh(many));
    manyCurl = keepBest(manyCurl, ourCurl(manyUrl));
    nixHttp = keepBest(
      nixHttp,
      withServerCpu(() =>
        measureCpu(
          "nix",
          [
            ...["store", "dump-path", "--store", `${server.url}?trusted=1`],
            ...["--option", "require-sigs", "false", path],
          ],
          {},
          1,
        ),
      ),
    );
  }
  const row = (command, m, vs, base = nixSocket, mb = SIZE_MB) => ({
    command,
    seconds: m.seconds,
    "client CPU s": m.cpu,
    "MB/s": mb / m.seconds,
    "client max RSS MiB": m.maxRssKiB / 1024,
    "server CPU s": m.serverCpu ?? "",
    "ratio vs nix ssh-ng stream": vs ? ratio(m.seconds, base.seconds, 1.3) : "",
  });
  if (part("download")) {
    printTable(
      `cache serve (daemon store, none) download of a ${SIZE_MB} MB path (best of 3 interleaved; ${load()})`,
      [
        row("curl from nix-compat cache serve", curl, true),
        row("nix store dump-path --store http://… (nix-compat cache serve)", nixHttp, true),
        row("nix store dump-path --store ssh-ng://localhost (NIX_REMOTE=daemon)", nixSocket),
      ],
    );
    const manyMb = Number(/^NarSize: (.*)$/m.exec(manyNarinfo)[1]) / 1e6;
    printTable(
      `the same for a path of 20,000 files of 2 KiB (${manyMb.toFixed(0)} MB of NAR; best of 3 interleaved)`,
      [
        row("curl from nix-compat cache serve", manyCurl, true, manySocket, manyMb),
        row(
          "nix store dump-path --store ssh-ng://localhost",
          manySocket,
          false,
          manySocket,
          manyMb,
        ),
      ],
    );
  }

  // narinfo requests, one at a time on each keep-alive connection (1 and 4 connections), from
  // a raw-socket client (node:http's Agent costs the client more than the server's work):
  // narinfos of one path (signed on the fly; a path's info is reused for 1 s, so nearly every
  // request is answered without the daemon), the same with --path-info-ttl 0 (a daemon round
  // trip per request, the signature reused while the daemon says the same), and
  // nix-cache-info (no store, no signature: the floor of HTTP on this machine). With
  // NIX_COMPAT_BENCH_BASE=<another checkout, built>, its `cache serve` runs interleaved.
  if (part("narinfo")) await narinfoRates(hashPart);

  // xz and zstd both ways, on a smaller path (xz at its default preset is slow):
  // served = the daemon's NAR compressed on the fly by the server, read with curl;
  // uploaded = nix copy --to a writable file:// server (Nix compresses, the server decompresses
  // the NAR again to check NarHash before publishing it)
  const mid = join(WORK_DIR, `cache-${COMPRESSED_MB}mb`);
  if (!existsSync(mid)) {
    const text = Buffer.from("a compressible line of a NAR for the cache bench, 0123456789\n");
    const block = Buffer.concat(Array.from({ length: (1 << 20) / text.length + 1 }, () => text));
    writeFileSync(mid, Buffer.concat(Array.from({ length: COMPRESSED_MB }, () => block)));
  }
  const midPath = spawnSync("nix-store", ["--add", mid], { encoding: "utf8" }).stdout.trim();
  const midHash = midPath.slice("/nix/store/".length, "/nix/store/".length + 32);
  const rows = [];
  for (const method of part("compressed") ? ["zstd", "xz"] : []) {
    const served = await startServer(`unix://${daemon.socket}`, ["--compression", method]);
    try {
      const text = await get(undefined, `${served.url}/${midHash}.narinfo`);
      const narSize = Number(/^NarSize: (.*)$/m.exec(text)[1]);
      const m = measureCpu(
        "curl",
        ["-sf", "-o", "/dev/null", `${served.url}/${/^URL: (.*)$/m.exec(text)[1]}`],
        {},
        1,
      );
      rows.push({
        method,
        direction: "served (server compresses)",
        seconds: m.seconds,
        "NAR MB/s": narSize / 1e6 / m.seconds,
      });
    } finally {
      served.child.kill("SIGTERM");
    }
    const dir = join(WORK_DIR, `cache-upload-${method}`);
    rmSync(dir, { recursive: true, force: true });
    const writable = await startServer(`file://${dir}`, ["--writable"]);
    try {
      const t0 = process.hrtime.bigint();
      const r = spawnSync("nix", [
        "copy",
        "--to",
        `${writable.url}?compression=${method}`,
        midPath,
      ]);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.status !== 0) throw new Error(`nix copy --to failed: ${r.stderr}`);
      rows.push({
        method,
        direction: "uploaded (Nix compresses, server checks)",
        seconds,
        "NAR MB/s": (COMPRESSED_MB << 20) / 1e6 / seconds,
      });
    } finally {
      writable.child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (rows.length > 0)
    printTable(
      `compressed NARs through cache serve, a ${COMPRESSED_MB} MiB path (one run each)`,
      rows,
    );
  if (part("concurrent")) await concurrentDownloads();
  if (part("worker")) {
    // workerd with a few hundred MiB in flight: a failure there is reported, not fatal
    await workerPartsCpu(load).catch((err) => console.log(`worker part failed: ${err}`));
  }
  console.log(`load after: ${load()}`);
} finally {
  server.child.kill("SIGTERM");
  daemon.stop();
}
