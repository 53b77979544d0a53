/**
 * `nix-compat cache serve`'s usage errors: exit 2 (bad usage) with one `error:` line, before
 * anything listens.
 */
import { describe, expect, it } from "vitest";
import { parseListenAddress } from "../../src/cli/commands/cache-serve.js";
import { runCli } from "../support/cli.js";

describe("cache serve usage", () => {
  it("reads HOST:PORT and [V6]:PORT", () => {
    expect(parseListenAddress("127.0.0.1:5000")).toEqual({ host: "127.0.0.1", port: 5000 });
    expect(parseListenAddress("[::1]:0")).toEqual({ host: "::1", port: 0 });
    for (const bad of ["5000", "host:", "host:99999", ":1", "a:b"]) {
      expect(() => parseListenAddress(bad), bad).toThrow(/is not HOST:PORT/);
    }
  });

  for (const [what, args, message] of [
    ["a store it cannot serve", ["--store", "s3://bucket"], /is not supported/],
    [
      "an unknown compression",
      ["--store", "daemon", "--compression", "lz9"],
      /--compression 'lz9'/,
    ],
    ["a bad listen address", ["--store", "daemon", "--listen", "nowhere"], /is not HOST:PORT/],
    ["a priority that is not a number", ["--store", "daemon", "--priority", "high"], /--priority/],
    [
      "a path-info TTL that is not a number of milliseconds",
      ["--store", "daemon", "--path-info-ttl", "soon"],
      /--path-info-ttl 'soon'/,
    ],
  ] as const) {
    it(`refuses ${what}`, () => {
      const r = runCli(["cache", "serve", "--listen", "127.0.0.1:0", ...args]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stdoutText).toBe("");
      expect(r.status).toBe(2);
    });
  }
});
