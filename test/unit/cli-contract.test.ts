/** The general rules of the CLI contract (`docs/cli.md`): help, version, exit codes. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/fixtures.js";

function leafCommands(cmd: Command, prefix: string[] = []): string[][] {
  const subs = cmd.commands.filter((c) => c.name() !== "help");
  if (subs.length === 0) return [prefix];
  return subs.flatMap((c) => leafCommands(c, [...prefix, c.name()]));
}

describe("CLI contract", () => {
  it("--version prints the package version", () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as {
      version: string;
    };
    const r = runCli(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdoutText.trim()).toBe(pkg.version);
  });

  it("every command has --help and exits 0 with it", async () => {
    const program = await buildProgram();
    const leaves = leafCommands(program);
    expect(leaves.length).toBeGreaterThan(3);
    for (const words of leaves) {
      const r = runCli([...words, "--help"]);
      expect(r.status, words.join(" ")).toBe(0);
      expect(r.stdoutText, words.join(" ")).toMatch(/Usage: nix-compat/);
    }
  });

  it("bad usage exits 2, invalid input exits 1 with one error line", () => {
    expect(runCli(["no-such-command"]).status).toBe(2);
    expect(runCli(["hash", "file", "--no-such-flag", "x"]).status).toBe(2);
    expect(runCli(["hash", "to-base16"]).status).toBe(2);
    expect(runCli([]).status).toBe(2);
    const bad = runCli(["hash", "to-base16", "sha256:nope"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*sha256:nope.*\n$/);
    const missing = runCli(["hash", "file", "/definitely/not/here"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*\/definitely\/not\/here/);
  });

  it("reads standard input when the file is -", () => {
    const r = runCli(["hash", "file", "-"], { input: "hello\n" });
    expect(r.stdoutText.trim()).toBe("sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=");
  });
});
