// A body lent chunk by chunk (a daemon NAR: lendingResponse) through the node:http adapter:
// every chunk handed to the kernel before the next is asked for; a source that fails half way
// cuts the connection (the client never gets a whole-looking response); a client that goes
// away ends the source; HEAD never opens it.
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type NodeCacheServer, serveWithNode } from "../../src/cache/node-http-server.js";
import { lendingResponse } from "../../src/cache/response-bytes.js";

const CHUNK = 256 << 10;
const CHUNKS = 16;

/** A lent source of CHUNKS chunks written into one reused buffer; `failAt` throws there. */
function lender(events: string[], failAt?: number) {
  const buffer = new Uint8Array(CHUNK);
  return async function* lend(): AsyncGenerator<Uint8Array, void, undefined> {
    events.push("opened");
    try {
      for (let i = 0; i < CHUNKS; i++) {
        if (i === failAt) throw new Error("the daemon went away");
        buffer.fill(i); // the memory of the chunk before, read into again
        yield buffer;
      }
    } finally {
      events.push("closed");
    }
  };
}

/** Reads a response on a raw socket: its head and the bytes of the body that arrived. */
function download(port: number, method = "GET", stopAfter = Infinity) {
  return new Promise<{ head: string; body: Buffer; reset: boolean }>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let got = 0;
    let reset = false;
    // a slow start: the kernel's buffers fill and the server's writes wait in Node
    socket.pause();
    setTimeout(() => socket.resume(), 300);
    socket.on("data", (c) => {
      chunks.push(c);
      got += c.length;
      if (got > stopAfter) socket.destroy();
    });
    socket.on("error", () => (reset = true));
    socket.on("close", () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      resolve({
        head: all.subarray(0, end).toString("latin1"),
        body: all.subarray(end + 4),
        reset,
      });
    });
    socket.write(`${method} /nar/x.nar HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

describe("lent bodies through node:http", () => {
  let server: NodeCacheServer | undefined;
  afterEach(async () => server?.close(200));

  const serve = async (lend: () => AsyncGenerator<Uint8Array, void, undefined>) => {
    server = await serveWithNode(async () =>
      lendingResponse(new ReadableStream(), lend, {
        headers: { "content-length": String(CHUNK * CHUNKS) },
      }),
    );
    return server.port;
  };
  const until = async (events: string[], event: string) => {
    for (let i = 0; i < 100 && !events.includes(event); i++)
      await new Promise((r) => setTimeout(r, 20));
  };

  it("every chunk arrives as it was when lent, though its memory is reused", async () => {
    const events: string[] = [];
    const { head, body } = await download(await serve(lender(events)));
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(body.length).toBe(CHUNK * CHUNKS);
    for (let i = 0; i < CHUNKS; i++) expect(body[i * CHUNK + CHUNK - 1]).toBe(i);
    expect(events).toEqual(["opened", "closed"]);
  });

  it("a source that fails half way cuts the response short", async () => {
    const events: string[] = [];
    const { body } = await download(await serve(lender(events, CHUNKS / 2)));
    expect(body.length).toBeLessThan(CHUNK * CHUNKS);
    expect(events).toEqual(["opened", "closed"]);
  });

  it("a client that goes away ends the source", async () => {
    const events: string[] = [];
    await download(await serve(lender(events)), "GET", CHUNK);
    await until(events, "closed");
    expect(events).toEqual(["opened", "closed"]);
  });

  it("HEAD never opens the source", async () => {
    const events: string[] = [];
    const { head, body } = await download(await serve(lender(events)), "HEAD");
    expect(head).toContain(`content-length: ${CHUNK * CHUNKS}`);
    expect(body.length).toBe(0);
    expect(events).toEqual([]);
  });
});
