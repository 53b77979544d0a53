// Cache server: a 200 MB path downloaded through `nix-compat cache serve` (daemon store,
// uncompressed) against Nix streaming the same NAR from the daemon
// (`nix store dump-path --store ssh-ng://localhost` with NIX_REMOTE=daemon: Nix relays the
// worker protocol, NarFromPath goes daemon → socket → relay → pipe → nix; see
// daemon.bench.mjs for why not `--store unix://`), and narinfo requests per second on one
// keep-alive connection, each signed on the fly.
//
// Two downloads of ours: curl (the HTTP path alone) and `nix store dump-path --store
// http://...` (Nix itself reading our server: HTTP, plus its NarHash check).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
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

if (!HAVE_NIX || !existsSync("/nix/var/nix") || !have("curl")) {
  printTable("cache server (needs real Nix, its store and curl)", []);
  process.exit(0);
}

const SIZE_MB = Number(process.env.NIX_COMPAT_BENCH_DAEMON_MB ?? 200);
const NARINFO_SECONDS = 2;
const COMPRESSED_MB = 32;

const path = addPatternPath(SIZE_MB);
const keyFile = join(WORK_DIR, "cache-bench.sk");
writeFileSync(
  keyFile,
  spawnSync(process.execPath, [CLI, "key", "generate-secret", "--key-name", "bench-1"]).stdout,
);

/** `nix-compat cache serve` on a free port; resolves with its URL and process. */
function startServer(store, extra = []) {
  const child = spawn(
    process.execPath,
    [
      CLI,
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

const load = () => spawnSync("uptime", { encoding: "utf8" }).stdout.trim();
const daemon = await startDaemon();
const server = await startServer(`unix://${daemon.socket}`);
try {
  const hashPart = path.slice("/nix/store/".length, "/nix/store/".length + 32);
  const narinfo = await get(undefined, `${server.url}/${hashPart}.narinfo`);
  const narUrl = `${server.url}/${/^URL: (.*)$/m.exec(narinfo)[1]}`;
  const viaSocket = { NIX_REMOTE: "daemon", NIX_DAEMON_SOCKET_PATH: daemon.socket };
  console.log(`load before: ${load()}`);
  const nixSocket = measureCpu(
    "nix",
    ["store", "dump-path", "--store", "ssh-ng://localhost", path],
    viaSocket,
    3,
  );
  const curl = measureCpu("curl", ["-sf", "-o", "/dev/null", narUrl], {}, 3);
  const nixHttp = measureCpu(
    "nix",
    [
      "store",
      "dump-path",
      "--store",
      `${server.url}?trusted=1`,
      "--option",
      "require-sigs",
      "false",
      path,
    ],
    {},
    3,
  );
  const row = (command, m, vs) => ({
    command,
    seconds: m.seconds,
    "client CPU s": m.cpu,
    "MB/s": SIZE_MB / m.seconds,
    "client max RSS MiB": m.maxRssKiB / 1024,
    "ratio vs nix ssh-ng stream": vs ? ratio(m.seconds, nixSocket.seconds, 1.3) : "",
  });
  printTable(`cache serve (daemon store, none) download of a ${SIZE_MB} MB path (best of 3 wall)`, [
    row("curl from nix-compat cache serve", curl, true),
    row("nix store dump-path --store http://… (nix-compat cache serve)", nixHttp, true),
    row("nix store dump-path --store ssh-ng://localhost (NIX_REMOTE=daemon)", nixSocket),
  ]);

  // requests on one keep-alive connection, one at a time: narinfos (a daemon round trip and a
  // signature each) and, as the floor of HTTP on this machine, nix-cache-info (neither)
  const rate = async (url) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await get(agent, url);
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < NARINFO_SECONDS) {
      await get(agent, url);
      n++;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    }
    agent.destroy();
    return { n, elapsed, perSecond: n / elapsed };
  };
  const signed = await rate(`${server.url}/${hashPart}.narinfo`);
  const floor = await rate(`${server.url}/nix-cache-info`);
  printTable("requests on one keep-alive connection, one at a time", [
    {
      request: "narinfo (daemon store, signed on the fly)",
      requests: signed.n,
      "requests/s": signed.perSecond,
      target: signed.perSecond >= 2000 ? "≥ 2,000/s ✓" : "≥ 2,000/s ✗",
      "ratio to HTTP floor": (signed.perSecond / floor.perSecond).toFixed(2),
    },
    {
      request: "nix-cache-info (no store, no signature: the HTTP floor)",
      requests: floor.n,
      "requests/s": floor.perSecond,
      target: "",
      "ratio to HTTP floor": "1.00",
    },
  ]);

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
  for (const method of ["zstd", "xz"]) {
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
  printTable(
    `compressed NARs through cache serve, a ${COMPRESSED_MB} MiB path (one run each)`,
    rows,
  );
  console.log(`load after: ${load()}`);
} finally {
  server.child.kill("SIGTERM");
  daemon.stop();
}
