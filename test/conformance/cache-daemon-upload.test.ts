/**
 * `nix copy --to http://` (Nix 2.8) into our server backed by a daemon store: a private
 * `nix-daemon` of a chroot store that trusts one key. Signed uploads (xz, Nix's default) become
 * valid paths there with their references, CA and signatures; an unsigned input-addressed one
 * is refused by the daemon (CA paths need no signature), and no upload leaves anything aside.
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCacheHandler } from "../../src/cache/cache-handler.js";
import { createDaemonCacheStore } from "../../src/cache/daemon-cache-store.js";
import { fileCacheBlobs } from "../../src/cache/node-file-blobs.js";
import { type NodeCacheServer, serveWithNode } from "../../src/cache/node-http-server.js";
import type { DaemonClient } from "../../src/daemon/client.js";
import { openDaemonClient } from "../../src/daemon/node-client.js";
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  publicKeyOf,
} from "../../src/signing/keys.js";
import { nonce, runNixAsync, stopCacheServer } from "../support/cache-server.js";
import { startNixDaemon, type TestDaemon } from "../support/daemon.js";
import { describeWithNix, runNix } from "../support/nix.js";

/** Two store paths made by `builtins.toFile`, the first referring to the second. */
function makePaths(n: string): string[] {
  const expr = `let dep = builtins.toFile "dep-${n}" "dep ${n}"; in builtins.toFile "top-${n}" "uses \${dep}"`;
  const top = JSON.parse(
    runNix("nix-instantiate", ["--read-write-mode", "--eval", "-E", expr]),
  ) as string;
  return runNix("nix-store", ["-qR", top]).split("\n");
}

/** An input-addressed path (a derivation's output: not self-verifying, unlike CA paths). */
function buildPath(n: string, dir: string): string {
  const file = join(dir, `built-${n}.nix`);
  writeFileSync(
    file,
    `derivation { name = "built-${n}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo ${n} > $out" ]; }`,
  );
  return runNix("nix-build", ["--no-out-link", file]);
}

interface PathInfoJson {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  ca?: string;
  signatures?: string[];
}

describeWithNix("cache server over a daemon store: nix copy --to http:// adds paths", () => {
  let dir: string;
  let root: string;
  let staging: string;
  let daemon: TestDaemon;
  let client: DaemonClient;
  let server: NodeCacheServer;
  const secret = generateSecretKey("nix-compat-upload-1");
  let keyFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-cache-upload-"));
    root = join(dir, "root");
    staging = join(dir, "staging");
    keyFile = join(dir, "key.sk");
    writeFileSync(keyFile, formatSecretKey(secret));
    daemon = await startNixDaemon([
      ...["--store", root],
      ...["--option", "trusted-public-keys", formatPublicKey(publicKeyOf(secret))],
      ...["--option", "require-sigs", "true"],
    ]);
    client = openDaemonClient({ store: daemon.store });
    server = await serveWithNode(
      createCacheHandler({
        store: createDaemonCacheStore({ client, uploads: { staging: fileCacheBlobs(staging) } }),
        writable: true,
      }),
    );
  }, 60_000);

  afterAll(() => stopCacheServer({ server, client, daemon, dir }));

  const stagedFiles = () => {
    try {
      return readdirSync(join(staging, ".uploads", "nar"));
    } catch {
      return [];
    }
  };

  it("signed uploads (xz) are valid in the daemon's store, as in the source", async () => {
    const paths = makePaths(nonce());
    await runNixAsync("nix", ["copy", "--to", `${server.url}?secret-key=${keyFile}`, ...paths]);
    const copied = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "--store", root, ...paths]),
    ) as PathInfoJson[];
    const source = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", ...paths]),
    ) as PathInfoJson[];
    const pick = (list: PathInfoJson[]) =>
      list.map(({ path, narHash, narSize, references, ca }) => ({
        path,
        narHash,
        narSize,
        references,
        ca,
      }));
    expect(pick(copied)).toEqual(pick(source));
    for (const p of copied)
      expect(p.signatures).toContainEqual(expect.stringMatching(/^nix-compat-upload-1:/));
    expect(stagedFiles()).toEqual([]);
    // served back from the daemon store
    const served = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "--store", server.url, ...paths]),
    ) as PathInfoJson[];
    expect(pick(served)).toEqual(pick(source));
  }, 60_000);

  it("an unsigned input-addressed upload is refused by the daemon and nothing is kept", async () => {
    const built = buildPath(nonce(), dir);
    await expect(
      runNixAsync("nix", ["copy", "--to", `${server.url}?compression=zstd`, built]),
    ).rejects.toThrow(/400|lacks a signature/);
    await expect(runNixAsync("nix", ["path-info", "--store", root, built])).rejects.toThrow();
    expect(stagedFiles()).toEqual([]);
  }, 60_000);
});
