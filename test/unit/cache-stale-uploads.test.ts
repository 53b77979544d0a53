/**
 * What partial uploads leave in a `file://` cache's `.uploads/`: a client that goes away in the
 * middle of a NAR's PUT leaves nothing there, and files older than the stale age (a narinfo
 * that never came, a server that crashed mid-write) are removed by `removeStaleUploads`, which
 * `cache serve` runs when it starts.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createCacheHandler } from "../../src/cache/cache-handler.js";
import {
  createFileCacheStore,
  DEFAULT_STALE_UPLOAD_AGE_MS,
  removeStaleUploads,
} from "../../src/cache/node-file-blobs.js";
import { serveWithNode } from "../../src/cache/node-http-server.js";

const dir = mkdtempSync(join(tmpdir(), "nix-compat-stale-uploads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every file below `root` (relative paths). */
function filesBelow(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1));
  } catch {
    return [];
  }
}

it("a client gone in the middle of a NAR's PUT leaves nothing in .uploads/", async () => {
  const cache = join(dir, "disconnect");
  const server = await serveWithNode(
    createCacheHandler({ store: createFileCacheStore(cache), writable: true }),
  );
  try {
    const file = `${"0".repeat(52)}.nar.xz`;
    const socket = connect(server.port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.write(
      `PUT /nar/${file} HTTP/1.1\r\nHost: x\r\nContent-Length: ${8 << 20}\r\n\r\n` +
        "x".repeat(256 << 10),
    );
    // the write of the NAR is under way
    const deadline = Date.now() + 5000;
    while (filesBelow(join(cache, ".uploads")).length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(filesBelow(join(cache, ".uploads")).length).toBe(1);
    socket.destroy();
    while (filesBelow(join(cache, ".uploads")).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(filesBelow(join(cache, ".uploads"))).toEqual([]);
  } finally {
    await server.close(500);
  }
});

it("removeStaleUploads removes files older than the stale age, and only those", async () => {
  const cache = join(dir, "stale");
  const uploads = join(cache, ".uploads");
  mkdirSync(join(uploads, "nar"), { recursive: true });
  const now = Date.now();
  const old = (now - DEFAULT_STALE_UPLOAD_AGE_MS - 60_000) / 1000;
  const files = {
    abandoned: join(uploads, "nar", `${"1".repeat(52)}.nar.xz`),
    crashed: join(uploads, "nar", `${"2".repeat(52)}.nar.xz.tmp-0123456789ab`),
    listing: join(uploads, "0c3p1ijzbw7k0lmvgmnahpqfm2nx5kzy.ls"),
    fresh: join(uploads, "nar", `${"3".repeat(52)}.nar.xz`),
    published: join(cache, "nar", `${"4".repeat(52)}.nar.xz`),
  };
  mkdirSync(join(cache, "nar"), { recursive: true });
  for (const [name, path] of Object.entries(files)) {
    writeFileSync(path, name);
    if (name !== "fresh") utimesSync(path, old, old);
  }
  const removed = await removeStaleUploads(cache, { now });
  expect(removed.sort()).toEqual([files.abandoned, files.crashed, files.listing].sort());
  expect(filesBelow(cache).sort()).toEqual(
    [`.uploads/nar/${"3".repeat(52)}.nar.xz`, `nar/${"4".repeat(52)}.nar.xz`].sort(),
  );
  // a shorter age, named: the fresh one goes too
  expect(await removeStaleUploads(cache, { maxAgeMs: 0, now: now + 1000 })).toEqual([files.fresh]);
  // a cache without .uploads/
  expect(await removeStaleUploads(join(dir, "none"))).toEqual([]);
});
