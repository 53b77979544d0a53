/**
 * The cache server against real Nix 2.8: `nix copy --from http://` of a closure served from a
 * private nix-daemon with only our key trusted, `nix path-info --store http://` against the
 * source, `.ls` listings against `nix nar ls`, and `nix copy --to http://` into a writable
 * `file://` server and back out.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCacheHandler } from "../../src/cache/cache-handler.js";
import { createDaemonCacheStore } from "../../src/cache/daemon-cache-store.js";
import { createFileCacheStore } from "../../src/cache/node-file-blobs.js";
import { type NodeCacheServer, serveWithNode } from "../../src/cache/node-http-server.js";
import type { DaemonClient } from "../../src/daemon/client.js";
import { openDaemonClient } from "../../src/daemon/node-client.js";
import { formatPublicKey, generateSecretKey, publicKeyOf } from "../../src/signing/keys.js";
import { canRunCompression } from "../../src/cache/compression.js";
import { COMPRESSION_METHODS } from "../../src/cache/compression-method.js";
import { serverCompressions } from "../../src/cli/commands/cache-serve.js";
import { nonce, runNixAsync, stopCacheServer } from "../support/cache-server.js";
import { startNixDaemon, type TestDaemon } from "../support/daemon.js";
import { describeWithNix, runNix } from "../support/nix.js";

/** `mid` refers to `dep`; `tree` is a folder of a few files (for listings). */
function expression(n: string): string {
  return `
let
  dep = builtins.toFile "dep-${n}.txt" "dependency ${n}";
in derivation {
  name = "mid-${n}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo \${dep} > $out" ];
}
`;
}

interface PathInfoJson {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  deriver?: string;
  ca?: string;
  signatures?: string[];
  valid?: boolean;
}

function pick(list: PathInfoJson[]) {
  return list
    .map((p) => ({
      path: p.path,
      narHash: p.narHash,
      narSize: p.narSize,
      references: p.references,
      ca: p.ca,
    }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** `nix path-info -r` of `paths` in the store `store` says what it says in the source store. */
async function expectSameAsSource(store: string, paths: string[]): Promise<void> {
  const copied = JSON.parse(
    await runNixAsync("nix", ["path-info", "--json", "-r", "--store", store, ...paths]),
  ) as PathInfoJson[];
  const source = JSON.parse(
    await runNixAsync("nix", ["path-info", "--json", "-r", ...paths]),
  ) as PathInfoJson[];
  expect(pick(copied)).toEqual(pick(source));
}

describeWithNix("cache server: real Nix copies from and to it", () => {
  let dir: string;
  let daemon: TestDaemon;
  let client: DaemonClient;
  let server: NodeCacheServer;
  let mid: string;
  let tree: string;
  let closure: string[];
  const secret = generateSecretKey("nix-compat-test-1");
  const publicKey = formatPublicKey(publicKeyOf(secret));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-cache-"));
    const n = nonce();
    writeFileSync(join(dir, "default.nix"), expression(n));
    mid = runNix("nix-build", ["--no-out-link", join(dir, "default.nix")]);
    const treeDir = join(dir, `tree-${n}`);
    rmSync(treeDir, { recursive: true, force: true });
    for (const sub of ["a", "b/c"]) {
      const d = join(treeDir, sub);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "file.txt"), `file in ${sub} ${n}\n`);
    }
    tree = runNix("nix-store", ["--add", treeDir]);
    closure = runNix("nix-store", ["-qR", mid]).split("\n");
    daemon = await startNixDaemon();
    client = openDaemonClient({ store: daemon.store });
    const handler = createCacheHandler({
      store: createDaemonCacheStore({ client }),
      secretKey: secret,
    });
    server = await serveWithNode(handler);
  }, 60_000);

  afterAll(() => stopCacheServer({ server, client, daemon, dir }));

  it("nix copy --from into a fresh chroot store, only our key trusted: signatures accepted, paths valid", async () => {
    const root = join(dir, "chroot-ok");
    await runNixAsync("nix", [
      "copy",
      "--from",
      server.url,
      "--to",
      root,
      "--option",
      "trusted-public-keys",
      publicKey,
      "--option",
      "require-sigs",
      "true",
      mid,
    ]);
    const copied = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "-r", "--store", root, mid]),
    ) as PathInfoJson[];
    const source = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "-r", mid]),
    ) as PathInfoJson[];
    expect(pick(copied)).toEqual(pick(source));
    expect(copied.map((p) => p.path).sort()).toEqual([...closure].sort());
    for (const p of copied)
      expect(p.signatures ?? []).toContainEqual(expect.stringMatching(/^nix-compat-test-1:/));
    // and with another key trusted, Nix refuses them: the signatures are what it checked
    const other = formatPublicKey(publicKeyOf(generateSecretKey("someone-else-1")));
    await expect(
      runNixAsync("nix", [
        "copy",
        "--from",
        server.url,
        "--to",
        join(dir, "chroot-refused"),
        "--option",
        "trusted-public-keys",
        other,
        mid,
      ]),
    ).rejects.toThrow(/lacks a valid signature/);
  }, 60_000);

  it("nix path-info --store http:// agrees with the source", async () => {
    const served = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "-r", "--store", server.url, mid, tree]),
    ) as PathInfoJson[];
    const source = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "-r", mid, tree]),
    ) as PathInfoJson[];
    expect(pick(served)).toEqual(pick(source));
  }, 30_000);

  it("serves nix-cache-info, narinfo, nar and .ls with their types and lengths; HEAD; 404", async () => {
    const info = await fetch(`${server.url}/nix-cache-info`);
    expect(info.headers.get("content-type")).toBe("text/x-nix-cache-info");
    expect(await info.text()).toBe("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n");
    const hashPart = tree.slice("/nix/store/".length, "/nix/store/".length + 32);
    const narinfo = await fetch(`${server.url}/${hashPart}.narinfo`);
    expect(narinfo.headers.get("content-type")).toBe("text/x-nix-narinfo");
    const text = await narinfo.text();
    expect(Number(narinfo.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    const url = /^URL: (.*)$/m.exec(text)![1]!;
    const nar = new Uint8Array(await (await fetch(`${server.url}/${url}`)).arrayBuffer());
    const dumped = new Uint8Array(execFileSync("nix-store", ["--dump", tree]));
    expect(Buffer.from(nar).equals(Buffer.from(dumped))).toBe(true);
    const head = await fetch(`${server.url}/${url}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(dumped.length));
    expect(head.headers.get("content-type")).toBe("application/x-nix-nar");
    const ls = await fetch(`${server.url}/${hashPart}.ls`);
    expect(ls.headers.get("content-type")).toBe("application/json");
    const narFile = join(dir, "tree.nar");
    writeFileSync(narFile, dumped);
    const expected = JSON.parse(
      await runNixAsync("nix", ["nar", "ls", "--json", "-R", narFile, "/"]),
    ) as unknown;
    const listing = (await ls.json()) as { version: number; root: unknown };
    expect(listing.version).toBe(1);
    expect(listing.root).toEqual(expected);
    for (const missing of [
      `${"0".repeat(32)}.narinfo`,
      `${"0".repeat(32)}.ls`,
      "nar/x.nar",
      "other",
    ]) {
      expect((await fetch(`${server.url}/${missing}`)).status).toBe(404);
      expect((await fetch(`${server.url}/${missing}`, { method: "HEAD" })).status).toBe(404);
    }
    expect((await fetch(`${server.url}/nix-cache-info`, { method: "PUT", body: "x" })).status).toBe(
      405,
    );
  }, 30_000);

  for (const compression of serverCompressions().filter((c) => c !== "none")) {
    it(`nix copy --from a daemon store served with ${compression} on the fly`, async () => {
      const compressed = await serveWithNode(
        createCacheHandler({
          store: createDaemonCacheStore({ client }),
          secretKey: secret,
          compression,
        }),
      );
      try {
        const hashPart = tree.slice("/nix/store/".length, "/nix/store/".length + 32);
        const text = await (await fetch(`${compressed.url}/${hashPart}.narinfo`)).text();
        expect(text).toContain(`Compression: ${compression}\n`);
        expect(text).not.toContain("FileHash");
        const root = join(dir, `chroot-served-${compression}`);
        await runNixAsync("nix", [
          "copy",
          "--from",
          compressed.url,
          "--to",
          root,
          "--option",
          "trusted-public-keys",
          publicKey,
          mid,
          tree,
        ]);
        await expectSameAsSource(root, [mid, tree]);
      } finally {
        await compressed.close(1000);
      }
    }, 60_000);
  }

  // uploads need only decompression (to check NarHash): every method this process decodes
  serverCompressions();
  for (const compression of COMPRESSION_METHODS.filter((m) => canRunCompression(m, "decompress"))) {
    it(`nix copy --to a writable file:// server (compression=${compression}) and back out`, async () => {
      const cacheDir = join(dir, `cache-${compression}`);
      const writable = await serveWithNode(
        createCacheHandler({
          store: createFileCacheStore(cacheDir),
          writable: true,
        }),
      );
      try {
        await runNixAsync("nix", [
          "copy",
          "--to",
          `${writable.url}?compression=${compression}`,
          mid,
          tree,
        ]);
        const files = readdirSync(join(cacheDir, "nar"));
        expect(files.length).toBe(closure.length + 1);
        expect(
          readdirSync(cacheDir).filter((f) => f === ".uploads" || f.endsWith(".narinfo")).length,
        ).toBe(closure.length + 1 + (readdirSync(cacheDir).includes(".uploads") ? 1 : 0));
        if (readdirSync(cacheDir).includes(".uploads")) {
          expect(readdirSync(join(cacheDir, ".uploads", "nar"))).toEqual([]);
        }
        const root = join(dir, `chroot-back-${compression}`);
        await runNixAsync("nix", [
          "copy",
          "--no-check-sigs",
          "--from",
          writable.url,
          "--to",
          root,
          mid,
          tree,
        ]);
        await expectSameAsSource(root, [mid, tree]);
      } finally {
        await writable.close(1000);
      }
    }, 60_000);
  }
});
