/**
 * The serve client's subprocess adapter with stand-in servers (no Nix needed): how a server
 * that cannot start, fails, says nothing or stalls is reported.
 */
import { describe, expect, it } from "vitest";
import { ServeConnectionError, ServeRemoteError } from "../../src/serve/errors.js";
import { openServeProcess, serveCommandArgv } from "../../src/serve/node.js";

describe("serve subprocess adapter", () => {
  it("splits a command string at whitespace, as Nix splits remote-program", () => {
    expect(serveCommandArgv(undefined)).toEqual(["nix-store", "--serve", "--write"]);
    expect(serveCommandArgv("  ssh  host nix-store --serve ")).toEqual([
      "ssh",
      "host",
      "nix-store",
      "--serve",
    ]);
    expect(serveCommandArgv(["a b", "c"])).toEqual(["a b", "c"]);
    expect(() => serveCommandArgv(" ")).toThrow(ServeConnectionError);
  });

  it("a server that fails reports what it wrote on stderr", async () => {
    const err = await openServeProcess({
      command: ["sh", "-c", "printf 'error: \\033[31;1mboom\\033[0m\\n' >&2; exit 1"],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServeRemoteError);
    expect((err as ServeRemoteError).detail).toBe("boom");
  });

  it("a server that exits silently, or cannot start, is a connection error", async () => {
    const silent = await openServeProcess({ command: ["true"] }).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(ServeConnectionError);
    expect((silent as ServeConnectionError).code).toBe("serve.connection-lost");
    expect((silent as ServeConnectionError).detail).toMatch(/'true' ended the connection/);
    const missing = await openServeProcess({ command: ["/nonexistent/serve"] }).catch(
      (e: unknown) => e,
    );
    expect((missing as ServeConnectionError).code).toBe("serve.spawn-failed");
  });

  it("a server that stalls fails after timeoutMs", async () => {
    const t0 = Date.now();
    const err = await openServeProcess({ command: ["sleep", "30"], timeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect((err as ServeConnectionError).code).toBe("serve.timeout");
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
