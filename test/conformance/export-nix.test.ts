/**
 * `nix-store --export` streams read by us, ours accepted by `nix-store --import`, and the CLI
 * (`export-paths`, `import-paths`, `daemon path-info/dump-path/is-valid`) byte-identical to
 * Nix's tools, against a private nix-daemon.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { formatHash } from "../../src/core/hash.js";
import { nixbase32Encode } from "../../src/core/nixbase32.js";
import {
  decodeExport,
  type ExportEntry,
  encodeExport,
  readExport,
} from "../../src/export/index.js";
import { encodeNar } from "../../src/nar/writer.js";
import { runCli } from "../support/cli.js";
import { startNixDaemon, type TestDaemon } from "../support/daemon.js";
import { describeWithNix, runNix, runNixBytes } from "../support/nix.js";

function randomHashPart(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  return nixbase32Encode(b);
}

describeWithNix("export format and daemon CLI against Nix", () => {
  let daemon: TestDaemon;
  let dir: string;
  let entries: ExportEntry[];
  let imported: string[];

  beforeAll(async () => {
    daemon = await startNixDaemon();
    dir = mkdtempSync(join(tmpdir(), "nix-compat-export-"));
    const a = `/nix/store/${randomHashPart()}-export-a`;
    const b = `/nix/store/${randomHashPart()}-export-b`;
    const c = `/nix/store/${randomHashPart()}-export-c`;
    const text = (s: string) => new TextEncoder().encode(s);
    entries = [
      {
        nar: { type: "regular", executable: false, contents: text(`a ${a}`) },
        path: a,
        references: [],
        deriver: undefined,
      },
      {
        nar: {
          type: "directory",
          entries: [{ name: "to-a", node: { type: "symlink", target: a } }],
        },
        path: b,
        references: [a, b].sort(),
        deriver: `/nix/store/${randomHashPart()}-export-b.drv`,
      },
      {
        nar: { type: "regular", executable: true, contents: text(`${a} ${b}`) },
        path: c,
        references: [a, b].sort(),
        deriver: undefined,
      },
    ];
  });

  afterAll(async () => {
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("nix-store --import accepts our export", () => {
    const bytes = encodeExport(entries);
    imported = runNix("nix-store", ["--import"], { input: bytes }).split("\n");
    expect(imported).toEqual(entries.map((e) => e.path));
    for (const e of entries) {
      expect(runNixBytes("nix-store", ["--dump", e.path])).toEqual(Buffer.from(encodeNar(e.nar)));
      const info = JSON.parse(runNix("nix", ["path-info", "--json", e.path]))[0];
      expect(info.references).toEqual(e.references);
      expect(info.deriver).toBe(e.deriver);
    }
  });

  it("we read nix-store --export, and re-encode it byte for byte", async () => {
    const theirs = runNixBytes("nix-store", ["--export", ...imported]);
    const decoded = decodeExport(theirs);
    expect(new Set(decoded.map((e) => e.path))).toEqual(new Set(imported));
    expect(Buffer.from(encodeExport(decoded))).toEqual(theirs);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < theirs.length; i += 13) chunks.push(theirs.subarray(i, i + 13));
    const streamed = [];
    for await (const p of readExport(chunks)) streamed.push(p);
    for (const p of streamed) {
      const info = JSON.parse(runNix("nix", ["path-info", "--json", p.path]))[0];
      expect(formatHash(p.narHash, "sri")).toBe(info.narHash);
      expect(p.narSize).toBe(info.narSize);
    }
  });

  it("export-paths is byte-identical to nix-store --export (dependency order)", () => {
    const args = [imported[2]!, imported[0]!, imported[1]!];
    const ours = runCli(["export-paths", "--store", daemon.store, ...args]);
    expect(ours.stderr).toBe("");
    expect(ours.status).toBe(0);
    expect(ours.stdout).toEqual(runNixBytes("nix-store", ["--export", ...args]));
    // The default store is $NIX_DAEMON_SOCKET_PATH.
    const viaEnv = runCli(["export-paths", imported[1]!], {
      env: { NIX_DAEMON_SOCKET_PATH: daemon.socket },
    });
    expect(viaEnv.stdout).toEqual(runNixBytes("nix-store", ["--export", imported[1]!]));
  });

  it("import-paths lists what nix-store --import would register", () => {
    const file = join(dir, "export.bin");
    writeFileSync(file, runNixBytes("nix-store", ["--export", ...imported]));
    const r = runCli(["import-paths", file]);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdoutText);
    for (const item of list) {
      const info = JSON.parse(runNix("nix", ["path-info", "--json", item.path]))[0];
      expect(item).toEqual({
        path: info.path,
        narHash: runNix("nix", ["hash", "to-base32", info.narHash]).replace(/^/, "sha256:"),
        narSize: info.narSize,
        references: info.references,
        deriver: info.deriver ?? null,
      });
    }
    const stdin = runCli(["import-paths", "-"], {
      input: runNixBytes("nix-store", ["--export", imported[0]!]),
    });
    expect(JSON.parse(stdin.stdoutText)[0].path).toBe(imported[0]);
    const bad = runCli(["import-paths", "-"], { input: new Uint8Array(5) });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: /);
  });

  it("daemon path-info [--json] prints what nix path-info prints", () => {
    const bogus = `/nix/store/${randomHashPart()}-bogus`;
    execFileSync("nix-store", ["--add", join(process.cwd(), "package.json")]);
    const args = [...imported, bogus, `${imported[1]}/to-a`];
    const ours = runCli(["daemon", "path-info", "--json", "--store", daemon.store, ...args]);
    const theirs = execFileSync("nix", ["path-info", "--json", "--store", daemon.store, ...args], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(ours.stdout).toEqual(theirs);
    const plain = runCli(["daemon", "path-info", "--store", daemon.store, ...imported]);
    expect(plain.stdoutText).toBe(
      runNix("nix", ["path-info", "--store", daemon.store, ...imported]).concat("\n"),
    );
    // A symlink to a store path (like ./result) names that path, as in Nix.
    const link = join(dir, "result");
    symlinkSync(imported[1]!, link);
    const viaLink = runCli(["daemon", "path-info", "--json", "--store", daemon.store, link]);
    expect(viaLink.stdout).toEqual(
      execFileSync("nix", ["path-info", "--json", "--store", daemon.store, link], {
        stdio: ["ignore", "pipe", "ignore"],
      }),
    );
    const invalid = runCli(["daemon", "path-info", "--store", daemon.store, bogus]);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toBe(`error: path '${bogus}' is not valid\n`);
  });

  it("daemon dump-path and is-valid", () => {
    for (const p of imported) {
      const r = runCli(["daemon", "dump-path", "--store", daemon.store, p]);
      expect(r.status).toBe(0);
      expect(r.stdout).toEqual(
        runNixBytes("nix", ["store", "dump-path", "--store", daemon.store, p]),
      );
      expect(runCli(["daemon", "is-valid", "--store", daemon.store, p]).status).toBe(0);
    }
    const bogus = `/nix/store/${randomHashPart()}-bogus`;
    const v = runCli(["daemon", "is-valid", "--store", daemon.store, bogus]);
    expect(v.status).toBe(1);
    const d = runCli(["daemon", "dump-path", "--store", daemon.store, bogus]);
    expect(d.status).toBe(1);
    expect(d.stderr).toBe(`error: path '${bogus}' is not valid\n`);
    const noDaemon = runCli([
      "daemon",
      "is-valid",
      "--store",
      `unix://${dir}/nothing`,
      imported[0]!,
    ]);
    expect(noDaemon.status).toBe(1);
    expect(noDaemon.stderr).toMatch(/^error: cannot connect to socket/);
    const badStore = runCli([
      "daemon",
      "is-valid",
      "--store",
      "https://cache.nixos.org",
      imported[0]!,
    ]);
    expect(badStore.status).toBe(2);
  });
});
