/**
 * The serve-protocol client against a real `nix-store --serve --write` subprocess (Nix 2.8,
 * serve protocol 2.7): every command compared with what Nix's own tools say about paths the
 * test adds itself; imports of paths the test makes up, checked with `nix-store`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { formatContentAddress } from "../../src/core/content-address.js";
import { computeHash, formatHash } from "../../src/core/hash.js";
import { writeExport } from "../../src/export/index.js";
import { encodeNar } from "../../src/nar/writer.js";
import { ServeConnectionError, ServeRemoteError } from "../../src/serve/errors.js";
import { openServeProcess } from "../../src/serve/node.js";
import type { ServeSession } from "../../src/serve/session.js";
import { serveVersion } from "../../src/serve/wire/version.js";
import { describeWithNix, randomHashPart, runNixBytes } from "../support/nix.js";

const run = promisify(execFile);
type J = Record<string, unknown>;

async function nixAsync(program: string, args: string[]): Promise<string> {
  const r = await run(program, args, { maxBuffer: 1 << 28, encoding: "utf8" });
  return r.stdout.trim();
}

/** A made-up store path that is not valid yet, with a NAR of one file of random contents. */
function freshPath(name: string): { path: string; nar: Uint8Array } {
  const contents = new TextEncoder().encode(`serve import ${randomHashPart()}\n`);
  return {
    path: `/nix/store/${randomHashPart()}-${name}`,
    nar: encodeNar({ type: "regular", executable: false, contents }),
  };
}

describeWithNix("serve client against nix-store --serve --write", () => {
  let serve: ServeSession;
  let dir: string;
  let added: string[] = [];
  let drv: string;
  const made: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-serve-client-"));
    const f = join(dir, `file-${randomHashPart()}`);
    writeFileSync(f, `hello ${Math.random()}\n`);
    added = (await nixAsync("nix-store", ["--add", f])).split("\n");
    const expr = join(dir, "d.nix");
    writeFileSync(
      expr,
      `derivation { name = "serve-${randomHashPart()}"; system = "x"; builder = "/bin/sh"; ` +
        `args = [ (builtins.toFile "s-${randomHashPart()}" "echo") ]; }`,
    );
    drv = await nixAsync("nix-instantiate", [expr]);
    serve = await openServeProcess();
  });

  afterAll(async () => {
    serve?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const p of made) await run("nix-store", ["--delete", p]).catch(() => undefined);
  });

  it("agrees on the version: Nix 2.8 speaks serve protocol 2.7", () => {
    expect(serve.serverVersion).toBe(serveVersion(7));
    expect(serve.version).toBe(serveVersion(7));
  });

  it("queryValidPaths keeps the valid paths", async () => {
    const invalid = `/nix/store/${randomHashPart()}-nope`;
    const valid = await serve.queryValidPaths([added[0]!, invalid, drv]);
    expect(valid.sort()).toEqual([added[0]!, drv].sort());
  });

  it("queryPathInfos says what nix path-info --json says", async () => {
    const invalid = `/nix/store/${randomHashPart()}-nope`;
    const infos = await serve.queryPathInfos([...added, drv, invalid]);
    expect(infos.map((i) => i.path).sort()).toEqual([...added, drv].sort());
    // `nix path-info` takes a .drv for its outputs unless told `--derivation`.
    const nixJson = [
      ...(JSON.parse(await nixAsync("nix", ["path-info", "--json", ...added])) as J[]),
      ...(JSON.parse(await nixAsync("nix", ["path-info", "--json", "--derivation", drv])) as J[]),
    ];
    for (const info of infos) {
      const j = nixJson.find((x) => x.path === info.path)!;
      expect(formatHash(info.narHash!, "sri")).toBe(j.narHash);
      expect(info.narSize).toBe(j.narSize);
      expect(info.downloadSize).toBe(j.narSize);
      expect(info.references).toEqual(j.references);
      expect(info.ca === undefined ? undefined : formatContentAddress(info.ca)).toBe(j.ca);
      expect(info.deriver).toBe(j.deriver);
      expect(info.sigs).toEqual(j.signatures ?? []);
    }
    expect((await serve.queryPathInfo(drv))!.references.length).toBeGreaterThan(0);
  });

  it("dumpStorePath gives the bytes of nix-store --dump, and the session goes on", async () => {
    for (const p of [...added, drv]) {
      const chunks: Uint8Array[] = [];
      for await (const c of serve.dumpStorePath(p)) chunks.push(c.slice());
      expect(Buffer.concat(chunks)).toEqual(runNixBytes("nix-store", ["--dump", p]));
    }
    expect(await serve.queryValidPaths([drv])).toEqual([drv]);
  });

  it("commands called together run one after another, in call order", async () => {
    const dump = (async () => {
      const chunks: Uint8Array[] = [];
      for await (const c of serve.dumpStorePath(drv)) chunks.push(c.slice());
      return Buffer.concat(chunks);
    })();
    const [valid, infos, nar, closure] = await Promise.all([
      serve.queryValidPaths([drv]),
      serve.queryPathInfos(added),
      dump,
      serve.queryClosure([drv]),
    ]);
    expect(valid).toEqual([drv]);
    expect(infos.map((i) => i.path)).toEqual(added);
    expect(nar).toEqual(runNixBytes("nix-store", ["--dump", drv]));
    expect(closure).toContain(drv);
  });

  it("queryClosure gives what nix-store -qR gives", async () => {
    const closure = await serve.queryClosure([drv]);
    const nixClosure = (await nixAsync("nix-store", ["-qR", drv])).split("\n");
    expect(closure.sort()).toEqual(nixClosure.sort());
  });

  it("importPaths imports an export stream Nix then knows, references and all", async () => {
    const a = freshPath("serve-import-a");
    const b = freshPath("serve-import-b");
    made.push(b.path, a.path);
    await serve.importPaths(
      writeExport([
        { path: a.path, references: [], deriver: undefined, nar: [a.nar] },
        { path: b.path, references: [a.path], deriver: undefined, nar: [b.nar] },
      ]),
    );
    await nixAsync("nix-store", ["--check-validity", a.path, b.path]);
    expect(runNixBytes("nix-store", ["--dump", a.path])).toEqual(Buffer.from(a.nar));
    expect(await nixAsync("nix-store", ["-q", "--references", b.path])).toBe(a.path);
    const [info] = await serve.queryPathInfos([b.path]);
    expect(info!.narHash).toEqual(computeHash("sha256", b.nar));
  });

  it("importPaths imports what nix-store --export wrote in a scratch store", async () => {
    const f = join(dir, `scratch-${randomHashPart()}`);
    writeFileSync(f, `scratch ${randomHashPart()}\n`);
    const scratch = ["--store", join(dir, "scratch-store")];
    const p = await nixAsync("nix-store", [...scratch, "--add", f]);
    made.push(p);
    const exported = runNixBytes("nix-store", [...scratch, "--export", p]);
    await expect(nixAsync("nix-store", ["--check-validity", p])).rejects.toThrow();
    await serve.importPaths([exported]);
    await nixAsync("nix-store", ["--check-validity", p]);
    expect(runNixBytes("nix-store", ["--dump", p])).toEqual(
      runNixBytes("nix-store", [...scratch, "--dump", p]),
    );
  });

  it("addToStoreNar adds a path from its info and NAR", async () => {
    const c = freshPath("serve-add-nar");
    made.push(c.path);
    await serve.addToStoreNar(
      {
        path: c.path,
        deriver: undefined,
        narHash: computeHash("sha256", c.nar),
        references: [],
        registrationTime: 0,
        narSize: c.nar.length,
        ultimate: false,
        sigs: [],
        ca: undefined,
      },
      [c.nar],
    );
    await nixAsync("nix-store", ["--check-validity", c.path]);
    expect(runNixBytes("nix-store", ["--dump", c.path])).toEqual(Buffer.from(c.nar));
  });

  it("a failing command reports the server's own message and ends the session", async () => {
    const s = await openServeProcess();
    const invalid = `/nix/store/${randomHashPart()}-nope`;
    const err = await (async () => {
      for await (const _ of s.dumpStorePath(invalid)) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServeRemoteError);
    expect((err as ServeRemoteError).detail).toBe(`path '${invalid}' is not valid`);
    expect(s.healthy).toBe(false);
  });

  it("a server that cannot be started is a connection error", async () => {
    const err = await openServeProcess({ command: `nix-compat-no-such-${randomHashPart()}` }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServeConnectionError);
    expect((err as ServeConnectionError).code).toBe("serve.spawn-failed");
  });
});
