/**
 * Two connected in-memory {@link Transport}s: what one side writes, the other reads. Runs a
 * worker-protocol client and server in one process with no socket, in any runtime (tests, a
 * browser tab, a worker serving a {@link MemoryStore}-like handler).
 *
 * @module
 */
import type { ChunkSource } from "../codecs/byte-reader.js";
import { DaemonConnectionError } from "./errors.js";
import type { Transport } from "./session.js";

/** One direction of the pair: a queue of chunks and the reader waiting on it. */
function channel(): { source: ChunkSource; deliver(chunk: Uint8Array | undefined): void } {
  const queue: Uint8Array[] = [];
  let waiting: ((chunk: Uint8Array | undefined) => void) | undefined;
  let closed = false;
  const closedError = () => new DaemonConnectionError("daemon.connection-closed", "closed");
  return {
    source: {
      next() {
        const chunk = queue.shift();
        if (chunk !== undefined) return chunk;
        if (closed) throw closedError();
        return new Promise<Uint8Array | undefined>((resolve) => {
          waiting = resolve;
        }).then((c) => {
          if (c === undefined) throw closedError();
          return c;
        });
      },
    },
    deliver(chunk) {
      if (chunk === undefined) closed = true;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(chunk);
      } else if (chunk !== undefined) queue.push(chunk);
    },
  };
}

/**
 * A pair of connected in-memory transports. Written bytes are copied (the writer may reuse its
 * buffer); closing either side ends both, and a read past the end rejects with a
 * {@link DaemonConnectionError} (`daemon.connection-closed`).
 */
export function memoryTransportPair(): [Transport, Transport] {
  const a = channel();
  const b = channel();
  const close = () => {
    a.deliver(undefined);
    b.deliver(undefined);
  };
  return [
    { source: a.source, write: (bytes) => b.deliver(bytes.slice()), close },
    { source: b.source, write: (bytes) => a.deliver(bytes.slice()), close },
  ];
}
