/**
 * The daemon client against a real `nix-daemon` started by the suite on a private socket:
 * every operation compared with what Nix's own tools say about the same paths.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pathInfoJson } from "../../src/cli/commands/daemon.js";
import { computeHash, formatHash } from "../../src/core/hash.js";
import { nixbase32Encode } from "../../src/core/nixbase32.js";
import type { DaemonClient } from "../../src/daemon/client.js";
import { DaemonConnectionError, DaemonError } from "../../src/daemon/errors.js";
import { openDaemonClient } from "../../src/daemon/node.js";
import type { DaemonEvent } from "../../src/daemon/session.js";
import { encodeNar } from "../../src/nar/writer.js";
import { startNixDaemon, type TestDaemon } from "../support/daemon.js";
import { describeWithNix, runNix, runNixBytes } from "../support/nix.js";

const run = promisify(execFile);

async function nixAsync(program: string, args: string[]): Promise<string> {
  const r = await run(program, args, { maxBuffer: 1 << 28, encoding: "utf8" });
  return r.stdout.trim();
}

function randomHashPart(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  return nixbase32Encode(b);
}

describeWithNix("daemon client against nix-daemon", () => {
  let daemon: TestDaemon;
  let client: DaemonClient;
  const events: DaemonEvent[] = [];
  let paths: string[] = [];
  let dir: string | undefined;

  beforeAll(async () => {
    daemon = await startNixDaemon();
    client = openDaemonClient({
      store: daemon.store,
      timeoutMs: 20_000,
      onEvent: (e) => events.push(e),
    });
    dir = mkdtempSync(join(tmpdir(), "nix-compat-daemon-client-"));
    const f = join(dir, `file-${randomHashPart()}`);
    writeFileSync(f, `hello ${Math.random()}\n`);
    const x = join(dir, `exe-${randomHashPart()}`);
    writeFileSync(x, "#!/bin/sh\necho hi\n");
    chmodSync(x, 0o755);
    const t = join(dir, `tree-${randomHashPart()}`);
    mkdirSync(join(t, "sub"), { recursive: true });
    writeFileSync(join(t, "sub", "a"), "a");
    writeFileSync(join(t, "b"), "");
    symlinkSync("sub/a", join(t, "link"));
    paths = (await nixAsync("nix-store", ["--add", f, x, t])).split("\n");
  });

  afterAll(async () => {
    client?.close();
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("negotiates protocol 1.34 with Nix 2.8", async () => {
    expect(await client.protocolVersion()).toBe(0x122);
  });

  it("QueryPathInfo agrees with nix path-info --json", async () => {
    const infos = await Promise.all(paths.map((p) => client.queryPathInfo(p)));
    const ours = infos.map((i) => pathInfoJson(i!));
    const theirs = JSON.parse(
      await nixAsync("nix", ["path-info", "--json", "--store", daemon.store, ...paths]),
    );
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
    expect(ours.sort(byPath as never)).toEqual(theirs.sort(byPath));
    expect(await client.queryPathInfo(`/nix/store/${randomHashPart()}-nope`)).toBeUndefined();
  });

  it("NarFromPath gives nix-store --dump's bytes, streamed", async () => {
    for (const p of paths) {
      const chunks: Buffer[] = [];
      for await (const c of client.narFromPath(p)) chunks.push(Buffer.from(c));
      expect(Buffer.concat(chunks)).toEqual(runNixBytes("nix-store", ["--dump", p]));
    }
    // The connection is reusable afterwards.
    expect(await client.isValidPath(paths[0]!)).toBe(true);
  });

  it("NarFromPath of a large tree: views stay valid, or with reuseBuffers are reused safely", async () => {
    // Several MiB (many read slabs) of big and small files, so that slabs fill and recycle.
    const t = join(dir!, `big-${randomHashPart()}`);
    mkdirSync(t);
    const big = Buffer.alloc(5 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    writeFileSync(join(t, "big"), big);
    writeFileSync(join(t, "big2"), big.subarray(12345, 3 << 20));
    for (let i = 0; i < 300; i++) writeFileSync(join(t, `s${i}`), `small ${i} `.repeat(i));
    const p = await nixAsync("nix-store", ["--add", t]);
    const expected = runNixBytes("nix-store", ["--dump", p]);
    // Default: every view stays valid, kept without copying.
    const views: Uint8Array[] = [];
    for await (const c of client.narFromPath(p)) views.push(c);
    // (Buffer.equals: a deep toEqual over megabytes takes minutes.)
    expect(Buffer.concat(views).equals(expected)).toBe(true);
    // reuseBuffers: each chunk is done with before the next is asked for, but not at once: the
    // socket keeps reading meanwhile (as while a chunk is written out asynchronously).
    for (let round = 0; round < 2; round++) {
      const parts: Buffer[] = [];
      for await (const c of client.narFromPath(p, { reuseBuffers: true })) {
        await new Promise((r) => setTimeout(r, 0));
        parts.push(Buffer.from(c));
      }
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
    }
    expect(await client.isValidPath(p)).toBe(true);
  });

  it("IsValidPath and QueryValidPaths agree with nix-store --check-validity", async () => {
    const bogus = `/nix/store/${randomHashPart()}-bogus`;
    for (const p of [...paths, bogus]) {
      const nixSays = await run("nix-store", ["--check-validity", p]).then(
        () => true,
        () => false,
      );
      expect(await client.isValidPath(p)).toBe(nixSays);
    }
    expect((await client.queryValidPaths([...paths, bogus])).sort()).toEqual([...paths].sort());
  });

  it("QueryPathFromHashPart and QueryReferrers", async () => {
    const p = paths[0]!;
    const hashPart = p.slice("/nix/store/".length, "/nix/store/".length + 32);
    expect(await client.queryPathFromHashPart(hashPart)).toBe(p);
    expect(await client.queryPathFromHashPart(randomHashPart())).toBeUndefined();
    const referrers = runNix("nix-store", ["-q", "--referrers", p]).split("\n").filter(Boolean);
    expect((await client.queryReferrers(p)).sort()).toEqual(referrers.sort());
  });

  it("AddTempRoot, EnsurePath, BuildPaths on valid paths; typed errors on invalid ones", async () => {
    await client.addTempRoot(paths[0]!);
    await client.ensurePath(paths[0]!);
    await client.buildPaths([{ type: "opaque", path: paths[1]! }]);
    const bogus = `/nix/store/${randomHashPart()}-bogus`;
    const err = await client.ensurePath(bogus).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    expect((err as DaemonError).detail).toContain(bogus);
    expect((err as DaemonError).code).toBe("daemon.error");
    const err2 = await client
      .buildPaths([{ type: "opaque", path: bogus }])
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(DaemonError);
    // After errors the pool still answers.
    expect(await client.isValidPath(paths[0]!)).toBe(true);
  });

  it("AddSignatures shows in nix path-info", async () => {
    const sig = `test-key-1:${Buffer.alloc(64, 7).toString("base64")}`;
    await client.addSignatures(paths[2]!, [sig]);
    const theirs = JSON.parse(
      await nixAsync("nix", ["path-info", "--json", "--store", daemon.store, paths[2]!]),
    );
    expect(theirs[0].signatures).toContain(sig);
    const ours = pathInfoJson((await client.queryPathInfo(paths[2]!))!);
    expect(ours).toEqual(theirs[0]);
  });

  it("AddToStoreNar adds a path Nix then serves, with references and deriver", async () => {
    const nar = encodeNar({
      type: "directory",
      entries: [
        {
          name: "data",
          node: {
            type: "regular",
            executable: false,
            contents: new TextEncoder().encode(`x${Math.random()}`),
          },
        },
        { name: "ref", node: { type: "symlink", target: paths[0]! } },
      ],
    });
    const path = `/nix/store/${randomHashPart()}-added`;
    const deriver = `/nix/store/${randomHashPart()}-added.drv`;
    const info = {
      path,
      deriver,
      narHash: computeHash("sha256", nar),
      references: [paths[0]!],
      registrationTime: 0,
      narSize: nar.length,
      ultimate: false,
      sigs: [],
      ca: undefined,
    };
    // Streamed in small chunks.
    const chunks = Array.from({ length: Math.ceil(nar.length / 7) }, (_, i) =>
      nar.subarray(i * 7, i * 7 + 7),
    );
    await client.addToStoreNar(info, chunks, { dontCheckSigs: true });
    expect(runNixBytes("nix-store", ["--dump", path])).toEqual(Buffer.from(nar));
    const theirs = JSON.parse(
      await nixAsync("nix", ["path-info", "--json", "--store", daemon.store, path]),
    );
    expect(theirs[0].narHash).toBe(formatHash(info.narHash, "sri"));
    expect(theirs[0].references).toEqual([paths[0]]);
    expect(theirs[0].deriver).toBe(deriver);
    expect(pathInfoJson((await client.queryPathInfo(path))!)).toEqual(theirs[0]);
    // A wrong hash is refused with the daemon's message.
    const bad = {
      ...info,
      path: `/nix/store/${randomHashPart()}-bad`,
      narHash: computeHash("sha256", "nope"),
    };
    const err = await client
      .addToStoreNar(bad, [nar], { dontCheckSigs: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    expect((err as DaemonError).detail).toMatch(/hash mismatch/);
  });

  it("adds several paths with AddMultipleToStore, as the real daemon reads them", async () => {
    const items = [1, 2, 3].map((i) => {
      const nar = encodeNar({
        type: "directory",
        entries: [
          {
            name: `f${i}`,
            node: {
              type: "regular",
              executable: i === 2,
              contents: new TextEncoder().encode(`multi ${i} ${Math.random()}`),
            },
          },
        ],
      });
      const info = {
        path: `/nix/store/${randomHashPart()}-multi-${i}`,
        deriver: undefined,
        narHash: computeHash("sha256", nar),
        references: [],
        registrationTime: 0,
        narSize: nar.length,
        ultimate: false,
        sigs: [],
        ca: undefined,
      };
      return { info, nar: [nar.subarray(0, 13), nar.subarray(13)], whole: nar };
    });
    await client.addMultipleToStore(items, { dontCheckSigs: true });
    for (const it of items) {
      expect(runNixBytes("nix-store", ["--dump", it.info.path])).toEqual(Buffer.from(it.whole));
    }
  });

  it("answers 100 concurrent QueryPathInfo requests correctly", async () => {
    const expected = new Map<string, string>();
    for (const p of paths)
      expected.set(p, formatHash((await client.queryPathInfo(p))!.narHash, "sri"));
    const asks = Array.from({ length: 100 }, (_, i) => paths[i % paths.length]!);
    const got = await Promise.all(asks.map((p) => client.queryPathInfo(p)));
    got.forEach((info, i) => {
      expect(info?.path).toBe(asks[i]);
      expect(formatHash(info!.narHash, "sri")).toBe(expected.get(asks[i]!));
    });
  });

  it("build logs and activities reach the caller as events", async () => {
    const tag = `nix-compat-${randomHashPart()}`;
    const expr = `derivation { name = "${tag}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo building-${tag}; echo ${tag} > $out" ]; }`;
    const drv = await nixAsync("nix-instantiate", ["--expr", expr]);
    const mine: DaemonEvent[] = [];
    await client.buildPaths([{ type: "built", drvPath: drv, outputs: ["out"] }], "normal", {
      onEvent: (e) => mine.push(e),
    });
    expect(mine.some((e) => e.type === "start-activity")).toBe(true);
    expect(mine.some((e) => e.type === "stop-activity")).toBe(true);
    const lines = mine.flatMap((e) =>
      e.type === "result"
        ? e.fields.filter((f) => typeof f === "string")
        : e.type === "next"
          ? [e.text]
          : [],
    );
    expect(lines.some((l) => l.includes(`building-${tag}`))).toBe(true);
    // The client-wide listener saw them too.
    expect(events.length).toBeGreaterThanOrEqual(mine.length);
    // Built again with results: already valid now, with its output.
    const results = await client.buildPathsWithResults([
      { type: "built", drvPath: drv, outputs: ["out"] },
      { type: "opaque", path: paths[0]! },
    ]);
    expect(results.map((r) => r.status)).toEqual(["AlreadyValid", "AlreadyValid"]);
    // Nix answers in its own order: find each by its path.
    const built = results.find((r) => r.path.type === "built")!;
    expect(built.path).toEqual({ type: "built", drvPath: drv, outputs: ["out"] });
    const out = runNix("nix-store", ["-q", "--outputs", drv]);
    expect(built.builtOutputs.out?.outPath).toBe(out.slice("/nix/store/".length));
    expect(results.find((r) => r.path.type === "opaque")!.path).toEqual({
      type: "opaque",
      path: paths[0],
    });
  });

  for (const minor of [21, 22, 25, 26, 29, 33]) {
    it(`speaks protocol 1.${minor} with the same daemon`, async () => {
      const c = openDaemonClient({
        store: daemon.store,
        timeoutMs: 20_000,
        clientVersion: 0x100 | minor,
      });
      try {
        expect(await c.protocolVersion()).toBe(0x100 | minor);
        const info = (await c.queryPathInfo(paths[2]!))!;
        const modern = (await client.queryPathInfo(paths[2]!))!;
        expect(info.narHash).toEqual(modern.narHash);
        expect(info.ca).toEqual(modern.ca);
        const chunks: Buffer[] = [];
        for await (const x of c.narFromPath(paths[2]!)) chunks.push(Buffer.from(x));
        expect(Buffer.concat(chunks)).toEqual(runNixBytes("nix-store", ["--dump", paths[2]!]));
        // Errors: structured from 1.26 on, message and status before.
        const err = (await c
          .ensurePath(`/nix/store/${randomHashPart()}-x`)
          .catch((e: unknown) => e)) as DaemonError;
        expect(err).toBeInstanceOf(DaemonError);
        if (minor >= 26) expect(err.info.name).toBe("Error");
        else expect(err.info.status).toBeTypeOf("number");
        // AddToStoreNar: on the daemon's read requests before 1.23, framed from 1.23 on.
        const nar = encodeNar({
          type: "regular",
          executable: false,
          contents: new TextEncoder().encode(`v${minor} ${Math.random()}`),
        });
        const path = `/nix/store/${randomHashPart()}-v${minor}`;
        await c.addToStoreNar(
          {
            path,
            deriver: undefined,
            narHash: computeHash("sha256", nar),
            references: [],
            registrationTime: 0,
            narSize: nar.length,
            ultimate: false,
            sigs: [],
            ca: undefined,
          },
          [nar.subarray(0, 50), nar.subarray(50)],
          { dontCheckSigs: true },
        );
        expect(runNixBytes("nix-store", ["--dump", path])).toEqual(Buffer.from(nar));
      } finally {
        c.close();
      }
    });
  }

  it("a daemon killed mid-NAR gives a typed error, not a hang", async () => {
    const big = join(dir!, "big");
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7919) & 0xff;
    writeFileSync(big, Buffer.concat(Array.from({ length: 24 }, () => block)));
    const bigPath = await nixAsync("nix-store", ["--add", big]);
    const d2 = await startNixDaemon();
    const c2 = openDaemonClient({ store: d2.store, timeoutMs: 10_000 });
    try {
      const it = c2.narFromPath(bigPath)[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      d2.kill();
      const t0 = Date.now();
      const err = await (async () => {
        for (;;) if ((await it.next()).done) return undefined;
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonConnectionError);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      c2.close();
      await d2.stop();
    }
  });
});
