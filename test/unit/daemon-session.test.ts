/**
 * The portable client session and server dispatcher talking to each other over in-memory
 * transports (no sockets): handshake at each version, events, errors, NAR streaming.
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { computeHash } from "../../src/core/hash.js";
import { DaemonError, DaemonProtocolError } from "../../src/daemon/errors.js";
import { MemoryStore } from "../../src/daemon/memory-store.js";
import { memoryTransportPair } from "../../src/daemon/memory-transport.js";
import { type ServerContext, serveWorkerProtocol } from "../../src/daemon/server.js";
import { type DaemonEvent, WorkerSession } from "../../src/daemon/session.js";
import { encodeNar } from "../../src/nar/writer.js";

const nar = encodeNar({
  type: "regular",
  executable: false,
  contents: new TextEncoder().encode("hello\n"),
});
const path = `/nix/store/${"a".repeat(32)}-hello`;
const info = {
  path,
  deriver: undefined,
  narHash: computeHash("sha256", nar),
  references: [path],
  registrationTime: 1,
  narSize: nar.length,
  ultimate: false,
  sigs: [],
  ca: undefined,
};

describe("in-memory client and server", () => {
  for (const minor of [21, 23, 26, 33, 35, 37]) {
    it(`protocol 1.${minor}`, async () => {
      const store = new MemoryStore();
      store.add(info, nar);
      const handler = Object.assign(Object.create(store) as MemoryStore, {
        isValidPath: async (p: string, ctx: ServerContext) => {
          await ctx.log(`checking ${p}`);
          await ctx.activity({
            type: "start-activity",
            id: 7n,
            level: 3,
            activityType: 100,
            text: "x",
            fields: [1n, "s"],
            parent: 0n,
          });
          await ctx.activity({ type: "stop-activity", id: 7n });
          return store.isValidPath(p);
        },
      });
      const [client, server] = memoryTransportPair();
      const served = serveWorkerProtocol(server, handler, {
        trusted: true,
        nixVersion: "test-nix",
      });
      const events: DaemonEvent[] = [];
      const s = await WorkerSession.open(client, {
        clientVersion: 0x100 | minor,
        onEvent: (e) => events.push(e),
      });
      expect(s.version).toBe(0x100 | minor);
      expect(s.info.daemonNixVersion).toBe(minor >= 33 ? "test-nix" : undefined);
      expect(s.info.remoteTrustsUs).toBe(minor >= 35 ? true : undefined);
      expect(await s.isValidPath(path)).toBe(true);
      expect(events.map((e) => e.type)).toEqual(["next", "start-activity", "stop-activity"]);
      expect(await s.queryPathInfo(path)).toEqual(info);
      expect(await s.queryPathInfo(`/nix/store/${"b".repeat(32)}-x`)).toBeUndefined();
      expect(await s.queryReferrers(path)).toEqual([path]);
      expect(await s.queryPathFromHashPart("a".repeat(32))).toBe(path);
      const chunks: Uint8Array[] = [];
      for await (const c of s.narFromPath(path)) chunks.push(c.slice());
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(nar));
      const err = await s.ensurePath(`/nix/store/${"c".repeat(32)}-x`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonError);
      expect((err as DaemonError).withContext({ file: "f" }).info.message).toMatch(/is not valid/);
      if (minor >= 23) {
        const p2 = `/nix/store/${"d".repeat(32)}-added`;
        await s.addToStoreNar({ ...info, path: p2 }, [nar.subarray(0, 3), nar.subarray(3)]);
        expect(store.paths.get(p2)?.nar).toEqual(nar);
        // a WHATWG stream that is not async-iterable is read with its reader
        const p3 = `/nix/store/${"f".repeat(32)}-added`;
        const stream = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(nar.slice(0, 5));
            c.enqueue(nar.slice(5));
            c.close();
          },
        });
        Object.defineProperty(stream, Symbol.asyncIterator, { value: undefined });
        await s.addToStoreNar({ ...info, path: p3 }, stream);
        expect(store.paths.get(p3)?.nar).toEqual(nar);
      }
      s.close();
      await served;
    });
  }

  it("refuses a second request on a busy session", async () => {
    const store = new MemoryStore();
    store.add(info, nar);
    const [client, server] = memoryTransportPair();
    const served = serveWorkerProtocol(server, store);
    const s = await WorkerSession.open(client);
    const first = s.isValidPath(path);
    await expect(s.isValidPath(path)).rejects.toBeInstanceOf(UsageError);
    expect(await first).toBe(true);
    expect(await s.isValidPath(path)).toBe(true);
    s.close();
    await served;
  });

  it("narFromPath with coalesceBytes: few chunks for many small files, the same bytes, the session in step", async () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      name: `f${String(i).padStart(3, "0")}`,
      node: {
        type: "regular" as const,
        executable: false,
        contents: new TextEncoder().encode(`file ${i}\n`),
      },
    }));
    const many = encodeNar({ type: "directory", entries });
    const manyPath = `/nix/store/${"m".repeat(32)}-many`;
    const store = new MemoryStore();
    store.add(
      { ...info, path: manyPath, narHash: computeHash("sha256", many), narSize: many.length },
      many,
    );
    store.add(info, nar);
    const [client, server] = memoryTransportPair();
    const served = serveWorkerProtocol(server, store);
    const s = await WorkerSession.open(client);
    const read = async (coalesceBytes?: number) => {
      const chunks: Uint8Array[] = [];
      for await (const c of s.narFromPath(manyPath, { coalesceBytes })) chunks.push(c.slice());
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(many));
      return chunks.map((c) => c.length);
    };
    const each = await read();
    const coalesced = await read(4096);
    // every chunk but the last holds at least coalesceBytes, so there are at most
    // ceil(size / 4096) of them (without the option, as many as the reader hands on)
    expect(coalesced.slice(0, -1).every((n) => n >= 4096)).toBe(true);
    expect(coalesced.length).toBeLessThanOrEqual(Math.ceil(many.length / 4096));
    expect(coalesced.length).toBeLessThanOrEqual(each.length);
    expect(await s.queryPathInfo(path)).toEqual(info);
    s.close();
    await served;
  });

  it("refuses a peer that is not a daemon", async () => {
    const [client, server] = memoryTransportPair();
    server.write(new Uint8Array(16));
    await expect(WorkerSession.open(client)).rejects.toBeInstanceOf(Error);
    const [c2, s2] = memoryTransportPair();
    // Right magic, but protocol 2.0.
    const hello = new Uint8Array(16);
    new DataView(hello.buffer).setUint32(0, 0x6478696f, true);
    new DataView(hello.buffer).setUint32(8, 0x200, true);
    s2.write(hello);
    await expect(WorkerSession.open(c2)).rejects.toBeInstanceOf(DaemonProtocolError);
  });
});
