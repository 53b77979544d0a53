/**
 * The command line as a user meets it: a group without a subcommand is bad usage (exit 2, the
 * group's help on stderr); a missing file is reported in Nix's words (compared with Nix 2.8's
 * own message where Nix has the command); every command the README lists as reading `-`
 * reads standard input and prints what it prints for the file.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/fixtures.js";
import { describeWithNix, runNixBytes, withTempDir } from "../support/nix.js";

function nixError(program: string, args: string[]): string {
  try {
    runNixBytes(program, args);
  } catch (err) {
    const m = /(error: .*)$/m.exec((err as Error).message);
    return m![1]!;
  }
  throw new Error(`${program} ${args.join(" ")} succeeded`);
}

const example = (f: string) => join(REPO_ROOT, "examples", f);

describeWithNix("the command line as a user meets it", () => {
  it("a group without a subcommand exits 2 with the group's help on stderr", async () => {
    const program = await buildProgram();
    const groups = program.commands.filter((c: Command) => c.commands.length > 0);
    expect(groups.length).toBeGreaterThan(5);
    for (const g of groups) {
      const r = runCli([g.name()]);
      expect(r.status, g.name()).toBe(2);
      expect(r.stdoutText).toBe("");
      expect(r.stderr).toMatch(new RegExp(`^Usage: nix-compat ${g.name()} `));
      expect(runCli([g.name(), "--help"]).status).toBe(0);
    }
  });

  it("a missing file reads like Nix, in every command that takes one", () =>
    withTempDir((dir) => {
      const missing = join(dir, "nonexistent");
      // the same command in Nix 2.8: the same line
      const pairs: [string[], string, string[]][] = [
        [["hash", "path"], "nix", ["hash", "path"]],
        [["hash", "path", "--type", "sha1", "--base16"], "nix", ["hash", "path", "--type", "sha1"]],
        [["hash", "file"], "nix", ["hash", "file"]],
        [["nar", "dump-path"], "nix-store", ["--dump"]],
        [["store-path", "add"], "nix-store", ["--add"]],
        [["store-path", "add", "--flat"], "nix-store", ["--add-fixed", "sha256"]],
      ];
      for (const [ours, program, theirs] of pairs) {
        const r = runCli([...ours, missing]);
        expect(r.status, ours.join(" ")).toBe(1);
        expect(r.stderr, ours.join(" ")).toBe(`${nixError(program, [...theirs, missing])}\n`);
      }
      expect(runCli(["nar", "ls", missing, "/"]).stderr).toBe(
        `${nixError("nix", ["nar", "ls", missing, "/"])}\n`,
      );
      // no Nix command to compare with: Nix's wording for the system call that failed
      const others = [
        ["hash", "path", "--mode", "git"],
        ["derivation", "show"],
        ["derivation", "path"],
        ["derivation", "validate"],
        ["derivation", "aterm"],
        ["derivation", "output-paths"],
        ["derivation", "hash-modulo"],
        ["narinfo", "show"],
        ["narinfo", "fingerprint"],
        ["import-paths"],
      ];
      for (const args of others) {
        const r = runCli([...args, missing]);
        expect(r.status, args.join(" ")).toBe(1);
        expect(r.stderr, args.join(" ")).toMatch(
          /^error: (getting status of|opening file) '[^']*nonexistent': No such file or directory\n$/,
        );
      }
    }));

  it("every command that reads a file reads standard input for '-'", () =>
    withTempDir((dir) => {
      const json = join(dir, "hello.json");
      writeFileSync(json, runCli(["derivation", "show", example("hello.drv")]).stdout);
      const secret = join(dir, "secret");
      copyFileSync(example("keys/demo.secret"), secret);
      const publicKey = runCli(["key", "convert-secret-to-public"], {
        input: runCli(["key", "generate-secret", "--key-name", "t"]).stdout,
      });
      expect(publicKey.status).toBe(0);
      const cases: [string[], string][] = [
        [["hash", "file", "FILE"], example("hello.drv")],
        [["nar", "ls", "-R", "FILE", "/"], example("hello.nar")],
        [["nar", "cat", "FILE", "/README.txt"], example("hello.nar")],
        [["derivation", "show", "FILE"], example("hello.drv")],
        [["derivation", "path", "FILE"], example("hello.drv")],
        [["derivation", "hash-modulo", "FILE"], example("hello.drv")],
        [["derivation", "output-paths", "FILE"], example("hello.drv")],
        [["derivation", "aterm", "FILE"], json],
        [["derivation", "validate", "FILE"], json],
        [["narinfo", "show", "FILE"], example("hello.narinfo")],
        [["narinfo", "fingerprint", "FILE"], example("hello.narinfo")],
        [["narinfo", "sign", "--key-file", secret, "FILE"], example("hello.narinfo")],
        [["narinfo", "sign", "--key-file", "FILE", example("hello.narinfo")], secret],
        [
          [
            "narinfo",
            "verify",
            "--key",
            "demo.nix-compat-1:ENrl+gTw6/xbvjPR7ZdKG32YNZOcsfYVR2XmAoOz7Rc=",
            "FILE",
          ],
          example("hello.narinfo"),
        ],
      ];
      for (const [args, file] of cases) {
        const fromFile = runCli(args.map((a) => (a === "FILE" ? file : a)));
        const fromStdin = runCli(
          args.map((a) => (a === "FILE" ? "-" : a)),
          { input: runNixBytes("cat", [file]) },
        );
        expect(fromFile.status, args.join(" ")).toBe(0);
        expect(fromStdin.status, args.join(" ")).toBe(0);
        // `validate` names its input: the file or `-`
        const same = (s: string) => s.split(file).join("-");
        expect(same(fromStdin.stdoutText), args.join(" ")).toBe(same(fromFile.stdoutText));
      }
    }));
});
