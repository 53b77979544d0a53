/**
 * The serve-protocol client session over an in-memory transport (no Nix needed): what it
 * sends, what it accepts in the handshake, and its typed errors.
 */
import { describe, expect, it } from "vitest";
import { encode } from "../../src/codecs/encode.js";
import { MalformedInputError, TruncatedInputError } from "../../src/core/errors.js";
import type { Transport } from "../../src/daemon/session.js";
import { serverHello } from "../../src/daemon/wire/handshake.js";
import { protocolVersion } from "../../src/daemon/wire/version.js";
import { ServeConnectionError, ServeProtocolError } from "../../src/serve/errors.js";
import { ServeSession } from "../../src/serve/session.js";
import { SERVE_COMMANDS } from "../../src/serve/wire/commands.js";
import { serveClientHello, serveServerHello } from "../../src/serve/wire/handshake.js";
import { type ServePathInfo, servePathInfosReply } from "../../src/serve/wire/types.js";
import { serveVersion } from "../../src/serve/wire/version.js";

/** A transport that answers with `replies` (all at once) and records what it is sent. */
function fakeServer(...replies: Uint8Array[]): Transport & { sent: Uint8Array[]; closed: boolean } {
  const queue = [...replies];
  const t = {
    sent: [] as Uint8Array[],
    closed: false,
    source: { next: () => queue.shift() },
    write(b: Uint8Array) {
      t.sent.push(b.slice());
    },
    close() {
      t.closed = true;
    },
  };
  return t;
}

const sent = (t: { sent: Uint8Array[] }) => Buffer.concat(t.sent);

const INFO: ServePathInfo = {
  path: "/nix/store/00000000000000000000000000000000-x",
  deriver: undefined,
  references: ["/nix/store/00000000000000000000000000000000-x"],
  downloadSize: 8,
  narSize: 8,
  narHash: { algorithm: "sha256", digest: new Uint8Array(32).fill(7) },
  ca: undefined,
  sigs: ["k:AAAA"],
};

describe("serve session", () => {
  it("sends its hello and speaks the smaller version", async () => {
    const t = fakeServer(encode(serveServerHello, { version: serveVersion(9) }));
    const s = await ServeSession.open(t);
    expect(s.version).toBe(serveVersion(7));
    expect(s.serverVersion).toBe(serveVersion(9));
    expect(sent(t)).toEqual(Buffer.from(encode(serveClientHello, { version: serveVersion(7) })));
  });

  it("sends each command as declared and reads its reply", async () => {
    const v = serveVersion(7);
    const t = fakeServer(
      encode(serveServerHello, { version: v }),
      encode(servePathInfosReply(v), [INFO]),
      encode(SERVE_COMMANDS.QueryValidPaths.reply(v), [INFO.path]),
    );
    const s = await ServeSession.open(t);
    t.sent.length = 0;
    expect(await s.queryPathInfo(INFO.path)).toEqual(INFO);
    expect(await s.queryValidPaths([INFO.path], { lock: true })).toEqual([INFO.path]);
    expect(sent(t)).toEqual(
      Buffer.concat([
        encode(SERVE_COMMANDS.QueryPathInfos.request(v), [INFO.path]),
        encode(SERVE_COMMANDS.QueryValidPaths.request(v), {
          lock: true,
          substitute: false,
          paths: [INFO.path],
        }),
      ]),
    );
  });

  it("refuses servers of other protocols and versions, closing the transport", async () => {
    for (const version of [serveVersion(3), protocolVersion(1, 34), protocolVersion(3, 7)]) {
      const t = fakeServer(encode(serveServerHello, { version }));
      const err = await ServeSession.open(t).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServeProtocolError);
      expect((err as ServeProtocolError).code).toBe("serve.unsupported-version");
      expect(t.closed).toBe(true);
    }
    // A worker-protocol daemon answers with its own magic.
    const worker = fakeServer(encode(serverHello, { version: protocolVersion(1, 34) }));
    const err = await ServeSession.open(worker).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedInputError);
    expect((err as MalformedInputError).code).toBe("serve.unexpected-value");
  });

  it("a reply cut short is a TruncatedInputError, and the session is over", async () => {
    const v = serveVersion(7);
    const reply = encode(servePathInfosReply(v), [INFO]);
    const t = fakeServer(encode(serveServerHello, { version: v }), reply.subarray(0, 40));
    const s = await ServeSession.open(t);
    await expect(s.queryPathInfos([INFO.path])).rejects.toBeInstanceOf(TruncatedInputError);
    expect(s.healthy).toBe(false);
    expect(t.closed).toBe(true);
    await expect(s.queryValidPaths([INFO.path])).rejects.toBeInstanceOf(ServeConnectionError);
  });
});
