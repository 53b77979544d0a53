/**
 * The TypeScript side of the worker protocol answering Nix's own client: an in-memory store
 * served on a temporary socket, asked by `nix store ping`, `nix path-info`, `nix store
 * dump-path` and `nix copy`. Also the client's fault handling against a misbehaving server.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pathInfoJson } from "../../src/cli/commands/daemon.js";
import { computeHash } from "../../src/core/hash.js";
import { nixbase32Encode } from "../../src/core/nixbase32.js";
import { DaemonConnectionError, DaemonError, DaemonTimeoutError } from "../../src/daemon/errors.js";
import { MemoryStore } from "../../src/daemon/memory-store.js";
import { listenWorkerProtocol, openDaemonClient } from "../../src/daemon/node.js";
import type { PathInfo } from "../../src/daemon/wire/types.js";
import { protocolVersion } from "../../src/daemon/wire/version.js";
import { encodeNar } from "../../src/nar/writer.js";
import { CLI_PATH } from "../support/cli.js";
import { describeWithNix, runNixBytes } from "../support/nix.js";
import { REPO_ROOT } from "../support/fixtures.js";

const run = promisify(execFile);

function randomHashPart(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  return nixbase32Encode(b);
}

function closeServer(s: Server | undefined): Promise<void> {
  return new Promise((r) => (s ? s.close(() => r()) : r()));
}

describeWithNix("worker-protocol server answering Nix's client", () => {
  let dir: string;
  const store = new MemoryStore();
  const ops: string[] = [];
  let server: Server | undefined;
  let server31: Server | undefined;
  let server22: Server | undefined;
  let url22: string;
  let url: string;
  let url31: string;
  let info: PathInfo;
  let nar: Uint8Array;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-server-"));
    nar = encodeNar({
      type: "directory",
      entries: [
        {
          name: "bin",
          node: {
            type: "directory",
            entries: [
              {
                name: "hi",
                node: {
                  type: "regular",
                  executable: true,
                  contents: new TextEncoder().encode("#!/bin/sh\necho hi\n"),
                },
              },
            ],
          },
        },
        { name: "link", node: { type: "symlink", target: "bin/hi" } },
      ],
    });
    info = {
      path: `/nix/store/${randomHashPart()}-in-memory`,
      deriver: `/nix/store/${randomHashPart()}-in-memory.drv`,
      narHash: computeHash("sha256", nar),
      references: [],
      registrationTime: 1700000000,
      narSize: nar.length,
      ultimate: true,
      sigs: [`cache.example.org-1:${Buffer.alloc(64, 1).toString("base64")}`],
      ca: undefined,
    };
    store.add(info, nar);
    const logging = Object.assign(Object.create(store) as MemoryStore, {
      queryPathInfo: async (p: string, ctx: { log(t: string): Promise<void> }) => {
        await ctx.log("hello from the TypeScript daemon");
        return store.queryPathInfo(p);
      },
    });
    server = await listenWorkerProtocol(join(dir, "socket"), logging, {
      onOperation: (name) => ops.push(name),
    });
    server31 = await listenWorkerProtocol(join(dir, "socket31"), store, {
      version: protocolVersion(1, 31),
      onOperation: (name) => ops.push(name),
    });
    url = `unix://${join(dir, "socket")}`;
    url31 = `unix://${join(dir, "socket31")}`;
    server22 = await listenWorkerProtocol(join(dir, "socket22"), store, {
      version: protocolVersion(1, 22),
      onOperation: (name) => ops.push(name),
    });
    url22 = `unix://${join(dir, "socket22")}`;
  });

  afterAll(async () => {
    await closeServer(server);
    await closeServer(server31);
    await closeServer(server22);
    rmSync(dir, { recursive: true, force: true });
  });

  it("nix store ping", async () => {
    await run("nix", ["store", "ping", "--store", url]);
    expect(ops).toContain("SetOptions");
  });

  it("nix path-info --json reads what we serve, and shows our log line", async () => {
    const r = await run("nix", ["path-info", "--json", "--store", url, info.path], {
      encoding: "utf8",
    });
    expect(JSON.parse(r.stdout)).toEqual([pathInfoJson(info)]);
    expect(r.stderr).toContain("hello from the TypeScript daemon");
    // Our CLI prints the very same bytes (run asynchronously: the server shares this process).
    const ours = await run(
      process.execPath,
      [CLI_PATH, "daemon", "path-info", "--json", "--store", url, info.path],
      {
        encoding: "utf8",
      },
    );
    expect(ours.stdout).toBe(r.stdout);
  });

  it("nix store dump-path asks us whether the path is valid", async () => {
    // Nix 2.8's unix:// store is a local-FS store: it checks validity with the daemon, then
    // reads the NAR from the local file system. So serve a path that exists locally.
    const local = (await run("nix-store", ["--add", CLI_PATH], { encoding: "utf8" })).stdout.trim();
    store.add({ ...info, path: local }, nar);
    ops.length = 0;
    const r = await run("nix", ["store", "dump-path", "--store", url, local], {
      encoding: "buffer",
      maxBuffer: 1 << 26,
    });
    expect(ops).toContain("QueryPathInfo");
    expect(r.stdout).toEqual(runNixBytes("nix-store", ["--dump", local]));
    store.paths.delete(local);
    const missing = await run("nix", ["store", "dump-path", "--store", url, local]).catch(
      (e: unknown) => e,
    );
    expect(String((missing as Error).message)).toMatch(/is not valid/);
  });

  it("our client streams NARs from our server", async () => {
    const c = openDaemonClient({ store: url, timeoutMs: 5000 });
    try {
      const chunks: Uint8Array[] = [];
      for await (const x of c.narFromPath(info.path)) chunks.push(x.slice());
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(nar));
    } finally {
      c.close();
    }
  });

  it("nix copy uploads a real path with AddToStoreNar (framed)", async () => {
    const real = (
      await run("nix-store", ["--add", join(REPO_ROOT, "package.json")], { encoding: "utf8" })
    ).stdout.trim();
    await run("nix", ["copy", "--no-check-sigs", "--to", url31, real]);
    expect(ops).toContain("AddToStoreNar");
    const got = store.paths.get(real);
    expect(got).toBeDefined();
    expect(Buffer.from(got!.nar)).toEqual(runNixBytes("nix-store", ["--dump", real]));
  });

  it("nix copy uploads several paths with AddMultipleToStore (NARs parsed inside the frames)", async () => {
    // Directories with many files (and a symlink-free tree of nested directories) exercise
    // the NAR parsing that finds each NAR's end inside the framed stream.
    const added = await Promise.all(
      ["src/daemon", "src/export", "examples"].map(async (d) =>
        (await run("nix-store", ["--add", join(REPO_ROOT, d)], { encoding: "utf8" })).stdout.trim(),
      ),
    );
    for (const p of added) store.paths.delete(p);
    ops.length = 0;
    await run("nix", ["copy", "--no-check-sigs", "--to", url, ...added]);
    expect(ops).toContain("AddMultipleToStore");
    expect(ops).not.toContain("AddToStoreNar");
    for (const p of added) {
      const got = store.paths.get(p);
      expect(got, p).toBeDefined();
      expect(got!.info.ultimate).toBe(false);
      expect(Buffer.from(got!.nar)).toEqual(runNixBytes("nix-store", ["--dump", p]));
    }
  });

  it("nix copy to a 1.22 server sends the NAR on our stderr read requests (AddToStoreNar)", async () => {
    const real = (
      await run("nix-store", ["--add", join(REPO_ROOT, "src/codecs")], { encoding: "utf8" })
    ).stdout.trim();
    store.paths.delete(real);
    ops.length = 0;
    await run("nix", ["copy", "--no-check-sigs", "--to", url22, real]);
    expect(ops).toContain("AddToStoreNar");
    const got = store.paths.get(real);
    expect(got).toBeDefined();
    expect(Buffer.from(got!.nar)).toEqual(runNixBytes("nix-store", ["--dump", real]));
    // The connection is still in step afterwards.
    const c = openDaemonClient({ store: url22, timeoutMs: 5000 });
    try {
      expect(await c.isValidPath(real)).toBe(true);
    } finally {
      c.close();
    }
  });

  it("our client's AddToStoreNar at 1.22 goes through the read requests too", async () => {
    const c = openDaemonClient({
      store: url22,
      timeoutMs: 5000,
      clientVersion: protocolVersion(1, 22),
    });
    const other = { ...info, path: `/nix/store/${randomHashPart()}-via-reads` };
    try {
      // In small pieces, so that the server asks many times.
      const pieces = Array.from({ length: Math.ceil(nar.length / 7) }, (_, i) =>
        nar.subarray(i * 7, i * 7 + 7),
      );
      await c.addToStoreNar(other, pieces);
      expect(Buffer.from(store.paths.get(other.path)!.nar)).toEqual(Buffer.from(nar));
      const bad = { ...other, path: `/nix/store/${randomHashPart()}-bad`, narSize: nar.length + 1 };
      const err = await c.addToStoreNar(bad, [nar]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonError);
      expect((err as DaemonError).detail).toMatch(/size mismatch/);
      expect(await c.isValidPath(other.path)).toBe(true);
    } finally {
      c.close();
    }
  });

  it("AddMultipleToStore with a malformed NAR: a typed error, and the connection goes on", async () => {
    const c = openDaemonClient({ store: url, timeoutMs: 5000, maxConnections: 1 });
    const good = { ...info, path: `/nix/store/${randomHashPart()}-multi-good` };
    const broken = nar.slice();
    broken.set(new TextEncoder().encode("regulax"), broken.indexOf(0x72, 40)); // a bad token
    const bad = { ...info, path: `/nix/store/${randomHashPart()}-multi-bad` };
    try {
      const err = await c
        .addMultipleToStore([
          { info: good, nar: [nar] },
          { info: bad, nar: [broken] },
        ])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonError);
      expect((err as DaemonError).detail).toMatch(/expected/);
      expect(store.paths.has(good.path)).toBe(true);
      expect(store.paths.has(bad.path)).toBe(false);
      expect(await c.isValidPath(good.path)).toBe(true);
    } finally {
      c.close();
    }
  });

  it("a handler error reaches the client with its message", async () => {
    const c = openDaemonClient({ store: url, timeoutMs: 5000 });
    try {
      const err = await c
        .ensurePath(`/nix/store/${randomHashPart()}-missing`)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonError);
      expect((err as DaemonError).detail).toMatch(/is not valid/);
      expect(await c.isValidPath(info.path)).toBe(true);
    } finally {
      c.close();
    }
  });

  it("a stalled daemon gives a timeout error", async () => {
    const stalled = await listenWorkerProtocol(join(dir, "stalled"), {
      isValidPath: () => new Promise<boolean>(() => {}),
    });
    const c = openDaemonClient({ store: `unix://${join(dir, "stalled")}`, timeoutMs: 300 });
    try {
      const t0 = Date.now();
      const err = await c.isValidPath(info.path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonTimeoutError);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      c.close();
      await closeServer(stalled);
    }
  });

  it("a connection dropped mid-NAR gives a connection error", async () => {
    const dropping = await listenWorkerProtocol(
      join(dir, "dropping"),
      {
        async *narFromPath() {
          yield nar.subarray(0, 100);
          throw new Error("gone");
        },
      },
      { onError: () => {} },
    );
    const c = openDaemonClient({ store: `unix://${join(dir, "dropping")}`, timeoutMs: 5000 });
    try {
      const err = await (async () => {
        for await (const _ of c.narFromPath(info.path)) {
          // read on
        }
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonConnectionError);
    } finally {
      c.close();
      await closeServer(dropping);
    }
  });
});
