/**
 * `nix-compat serve path-info` and `serve dump-path` against Nix 2.8 on random paths the test
 * adds itself: the JSON equals what `nix path-info --json` prints for the same path through an
 * `ssh://` store (the serve protocol; `ssh` is a stand-in script that runs the remote command
 * here), the NAR equals `nix-store --dump`.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { encodeNar } from "../../src/nar/writer.js";
import { arbNarTree } from "../../src/testing/nar.js";
import { runCli } from "../support/cli.js";
import {
  CONFORMANCE_RUNS,
  describeWithNix,
  randomHashPart,
  runNix,
  runNixBytes,
} from "../support/nix.js";

/** Stands in for `ssh HOST CMD...`: drops the host and ssh's options, runs CMD here. */
const FAKE_SSH = `#!/bin/sh
while [ $# -gt 0 ]; do case "$1" in -o|-p|-i|-l) shift 2;; -*) shift;; *) break;; esac; done
shift
while [ $# -gt 0 ]; do case "$1" in -o|-p|-i|-l) shift 2;; -x|-a|-T|-q) shift;; *) break;; esac; done
exec sh -c "$*"
`;

describeWithNix("serve CLI against Nix 2.8", () => {
  let dir: string;
  let sshEnv: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-serve-cli-"));
    writeFileSync(join(dir, "ssh"), FAKE_SSH);
    chmodSync(join(dir, "ssh"), 0o755);
    sshEnv = { PATH: `${dir}:${process.env.PATH ?? ""}` };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Adds a random tree to the store (`nix-store --restore`, then `--add`). */
  function addTree(nar: Uint8Array): string {
    const where = join(dir, `t-${randomHashPart()}`);
    runNixBytes("nix-store", ["--restore", where], { input: nar });
    return runNix("nix-store", ["--add", where]);
  }

  it("path-info --json and dump-path print what Nix prints, on random paths", () => {
    fc.assert(
      fc.property(arbNarTree({ maxFileSize: 3000 }), (tree) => {
        const nar = encodeNar(tree);
        const p = addTree(nar);
        const invalid = `/nix/store/${randomHashPart()}-not-there`;
        const ours = runCli(["serve", "path-info", "--json", p, invalid]);
        expect(ours.stderr).toBe("");
        expect(ours.status).toBe(0);
        const overSsh = runNix(
          "nix",
          ["path-info", "--json", "--store", "ssh://serve-test", p, invalid],
          { env: sshEnv },
        );
        expect(ours.stdoutText).toBe(overSsh);
        // The same as the local store says, but for what the serve protocol does not carry.
        const local = (JSON.parse(runNix("nix", ["path-info", "--json", p])) as object[]).map(
          (o) => ({ ...o, registrationTime: undefined, ultimate: undefined }),
        );
        const mine = (JSON.parse(ours.stdoutText) as { path: string }[]).find((o) => o.path === p);
        expect(mine).toEqual(JSON.parse(JSON.stringify(local[0])));
        const dump = runCli(["serve", "dump-path", p]);
        expect(dump.status).toBe(0);
        expect(dump.stdout).toEqual(Buffer.from(nar));
        expect(dump.stdout).toEqual(runNixBytes("nix-store", ["--dump", p]));
        expect(runCli(["serve", "path-info", p]).stdoutText).toBe(`${p}\n`);
      }),
      { numRuns: Math.min(CONFORMANCE_RUNS, 4), seed: 0x5e7e },
    );
  });

  it("--command picks the server; a read-only server answers queries", () => {
    const p = addTree(
      encodeNar({ type: "regular", executable: true, contents: new Uint8Array(3) }),
    );
    const r = runCli(["serve", "dump-path", "--command", "nix-store --serve", p]);
    expect(r.status).toBe(0);
    expect(r.stdout).toEqual(runNixBytes("nix-store", ["--dump", p]));
    const missing = runCli(["serve", "path-info", "--command", `no-such-${randomHashPart()}`, p]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: cannot run 'no-such-[0-9a-z]+': .*ENOENT.*\n$/);
  });

  it("an invalid path is an error, as in Nix", () => {
    const invalid = `/nix/store/${randomHashPart()}-not-there`;
    const dump = runCli(["serve", "dump-path", invalid]);
    expect(dump.status).toBe(1);
    expect(dump.stdout.length).toBe(0);
    expect(dump.stderr).toBe(`error: path '${invalid}' is not valid\n`);
    const info = runCli(["serve", "path-info", invalid]);
    expect(info.status).toBe(1);
    expect(info.stderr).toBe(`error: path '${invalid}' is not valid\n`);
  });
});
