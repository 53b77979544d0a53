// Baseline for bench/nar-dump-compiled.bench.mjs: the filesystem dump framing through the hand-written emitter (src/node/nar-dump.ts), as it was in src
// before issue 12 replaced it with the declaration's generated event writer (base 1594d37),
// transpiled to JavaScript and importing the built library (dist/). Not shipped, not tested:
// the bench compares the compiled writer against it.
import { createHash } from "node:crypto";
import { lstatSync, readlinkSync } from "node:fs";
import { readBuffer } from "../../dist/node/read-buffer.js";
import {
  ENTRY_DIRECTORY,
  ENTRY_EXECUTABLE,
  ENTRY_REGULAR,
  ENTRY_SYMLINK,
  failureError,
} from "../../dist/node/fs-jobs.js";
import { ioPool } from "../../dist/node/io-pool.js";
import { MalformedInputError } from "../../dist/core/errors.js";
import { NAR_EMIT_MAX_HEADER, NarBufferEmitter } from "./nar-buffer-emitter.mjs";
const DUMP_BUFFER_SIZE = 1 << 20;
const DUMP_SMALL_FILE = 1 << 16;
const DUMP_READ_CHUNK = 1 << 20;
const DUMP_WINDOW = 8;
const RESERVE = 8192;
function unsupported(path) {
  return new MalformedInputError(
    "nar.unsupported-file-type",
    `file '${Buffer.from(path, "latin1").toString()}' has an unsupported type`,
  );
}
class Dumper {
  constructor(root, size, pool) {
    this.pool = pool;
    this.size = size;
    this.out = new NarBufferEmitter(readBuffer(size));
    this.out.magic();
    const st = lstatSync(/^[\x00-\x7f]*$/.test(root) ? root : Buffer.from(root, "latin1"));
    if (st.isFile()) {
      const exec = (st.mode & 64) !== 0;
      this.out.regular(st.size, exec);
      const a = this.aheadOf(root, false, st.size);
      this.groups.push([a]);
      this.fill();
      this.startFile(a, st.size);
    } else if (st.isDirectory()) {
      this.out.directory();
      this.enter(root, this.aheadOf(root, true, 0));
    } else if (st.isSymbolicLink()) {
      const fsPath = /^[\x00-\x7f]*$/.test(root) ? root : Buffer.from(root, "latin1");
      this.out.symlink(readlinkSync(fsPath, { encoding: "latin1" }));
      this.done = true;
    } else throw unsupported(root);
  }
  pool;
  out;
  size;
  stack = [];
  /** Read-ahead groups, innermost directory last; each in NAR order. */
  groups = [];
  inFlight = 0;
  /** The large file being output: its read-ahead and bytes left. */
  file;
  fileLeft = 0;
  /** A chunk handed out as it is: recycled on the next call. */
  lent;
  /** A file's size whose padding and `)` are due (after its last chunk), else -1. */
  endSize = -1;
  /** Contents that did not fit in the output buffer, and their file's size. */
  spill;
  spillSize = 0;
  done = false;
  /** Stops: abandons what is read ahead. */
  close() {
    this.done = true;
    for (const g of this.groups) for (const a of g) for (const t of a.tickets) this.pool.abandon(t);
    for (const f of this.stack)
      for (const a of f.ahead) a?.tickets.forEach((t) => this.pool.abandon(t));
    this.file?.tickets.forEach((t) => this.pool.abandon(t));
    this.groups.length = 0;
    this.stack.length = 0;
    this.recycleLent();
  }
  /** The next chunk (a view of a reused buffer), or undefined at the end. */
  next() {
    this.recycleLent();
    const out = this.out;
    if (this.endSize >= 0) {
      out.endRegular(this.endSize);
      this.endSize = -1;
      this.endNode();
    }
    for (;;) {
      if (this.spill !== void 0) {
        const s = this.spill;
        const n = Math.min(s.length, this.size - out.at);
        out.contents(s.subarray(0, n));
        if (n < s.length) {
          this.spill = s.subarray(n);
          return this.flush();
        }
        this.spill = void 0;
        out.endRegular(this.spillSize);
        this.endNode();
        continue;
      }
      if (this.done) return out.at > 0 ? this.flush() : void 0;
      if (out.at > this.size - RESERVE) return this.flush();
      if (this.file !== void 0) {
        if (out.at > 0) return this.flush();
        return this.fileChunk();
      }
      const top = this.stack[this.stack.length - 1];
      if (top === void 0) {
        this.done = true;
        continue;
      }
      const list = top.list;
      const i = top.next;
      if (i >= list.names.length) {
        if (list.failure !== void 0) throw failureError(list.failure);
        this.stack.pop();
        this.pool.recycle(list.data);
        out.close();
        this.endNode();
        continue;
      }
      top.next++;
      const name = list.names[i];
      const path = `${top.path}/${name}`;
      const kind = list.kinds[i];
      if (i === list.failedAt && kind !== ENTRY_REGULAR && kind !== ENTRY_EXECUTABLE)
        throw failureError(list.failure);
      out.entry(name);
      if (kind === ENTRY_REGULAR || kind === ENTRY_EXECUTABLE) {
        const size = list.sizes[i];
        out.regular(size, kind === ENTRY_EXECUTABLE);
        if (i === list.failedAt) throw failureError(list.failure);
        const at = list.offsets[i];
        if (at >= 0 || size === 0) {
          const bytes = new Uint8Array(list.data, at < 0 ? 0 : at, size);
          if (size <= this.size - out.at - NAR_EMIT_MAX_HEADER) {
            out.contents(bytes);
            out.endRegular(size);
            out.close();
          } else {
            this.spill = bytes;
            this.spillSize = size;
          }
        } else {
          this.startFile(top.ahead[i] ?? this.aheadOf(path, false, size), size);
        }
      } else if (kind === ENTRY_DIRECTORY) {
        out.directory();
        this.enter(path, top.ahead[i] ?? this.aheadOf(path, true, 0));
      } else if (kind === ENTRY_SYMLINK) {
        out.symlink(list.targets[i]);
        out.close();
      } else throw unsupported(path);
    }
  }
  aheadOf(path, dir, size) {
    return { path, dir, size, sent: 0, tickets: [] };
  }
  /** Enters a directory: takes its listing, plans what to read ahead in it. */
  enter(path, ahead) {
    const list = this.take(ahead);
    if (list.failedAt === -1) throw failureError(list.failure);
    const plan = [];
    const group = [];
    for (let i = 0; i < list.names.length; i++) {
      const kind = list.kinds[i];
      let a;
      if (kind === ENTRY_DIRECTORY) a = this.aheadOf(`${path}/${list.names[i]}`, true, 0);
      else if (
        (kind === ENTRY_REGULAR || kind === ENTRY_EXECUTABLE) &&
        list.offsets[i] < 0 &&
        list.sizes[i] > 0 &&
        i !== list.failedAt
      )
        a = this.aheadOf(`${path}/${list.names[i]}`, false, list.sizes[i]);
      plan.push(a);
      if (a !== void 0) group.push(a);
    }
    this.stack.push({ path, list, ahead: plan, next: 0 });
    if (group.length > 0) this.groups.push(group);
    this.fill();
  }
  /** Hands out jobs, innermost directory's first, while the window has room. */
  fill() {
    if (!this.pool.parallel) return;
    while (this.inFlight < DUMP_WINDOW && this.groups.length > 0) {
      const g = this.groups[this.groups.length - 1];
      const a = g[0];
      if (a === void 0) {
        this.groups.pop();
        continue;
      }
      if (a.dir ? a.sent > 0 : a.sent >= a.size) {
        g.shift();
        continue;
      }
      a.tickets.push(this.pool.submit(this.jobOf(a)));
      a.sent = a.dir ? 1 : Math.min(a.size, a.sent + DUMP_READ_CHUNK);
      this.inFlight++;
    }
  }
  jobOf(a) {
    return a.dir
      ? { op: "dir", path: a.path, smallMax: DUMP_SMALL_FILE, budget: DUMP_READ_CHUNK }
      : {
          op: "read",
          path: a.path,
          offset: a.sent,
          length: Math.min(DUMP_READ_CHUNK, a.size - a.sent),
        };
  }
  /** The next result of `a`: its oldest job's, or a job run here now. */
  take(a) {
    const t = a.tickets.shift();
    if (t !== void 0) {
      this.inFlight--;
      const r = this.pool.wait(t);
      this.fill();
      return r;
    }
    const job = this.jobOf(a);
    a.sent = a.dir ? 1 : Math.min(a.size, a.sent + DUMP_READ_CHUNK);
    return this.pool.run(job);
  }
  startFile(a, size) {
    if (size === 0) {
      this.out.endRegular(0);
      this.endNode();
      return;
    }
    this.file = a;
    this.fileLeft = size;
  }
  /** After a node: closes its directory entry, or ends the dump at the root. */
  endNode() {
    if (this.stack.length > 0) this.out.close();
    else this.done = true;
  }
  /** The large file's next range, handed out as it is (the output buffer is empty). */
  fileChunk() {
    const a = this.file;
    const r = this.take(a);
    if (r.failure !== void 0) {
      this.pool.recycle(r.data);
      this.file = void 0;
      throw failureError(r.failure);
    }
    const n = Math.min(DUMP_READ_CHUNK, this.fileLeft);
    this.fileLeft -= n;
    if (this.fileLeft === 0) {
      this.file = void 0;
      this.endSize = a.size;
    }
    this.lent = r.data;
    return new Uint8Array(r.data, 0, n);
  }
  recycleLent() {
    if (this.lent !== void 0) {
      this.pool.recycle(this.lent);
      this.lent = void 0;
    }
  }
  flush() {
    const n = this.out.at;
    this.out.at = 0;
    return this.out.buf.subarray(0, n);
  }
}
function* dumpPathChunks(path, options = {}) {
  const size = Math.max(4 * RESERVE, options.bufferSize ?? DUMP_BUFFER_SIZE);
  const root = Buffer.from(path).toString("latin1");
  const d = new Dumper(root, size, options.pool ?? ioPool());
  try {
    for (let c = d.next(); c !== void 0; c = d.next()) yield c;
  } finally {
    d.close();
  }
}
function dumpPathToBytes(path) {
  const parts = [];
  for (const c of dumpPathChunks(path)) parts.push(Buffer.from(c));
  return new Uint8Array(Buffer.concat(parts));
}
async function* dumpPath(path) {
  for (const c of dumpPathChunks(path)) yield new Uint8Array(c);
}
async function hashPath(path, algorithm = "sha256") {
  return (await narHashAndSize(path, algorithm)).hash;
}
async function narHashAndSize(path, algorithm = "sha256") {
  const h =
    algorithm === "blake3"
      ? (await import("../core/hasher.js")).nobleHashBackend.create(algorithm)
      : createHash(algorithm);
  let size = 0;
  for (const c of dumpPathChunks(path)) {
    h.update(c);
    size += c.length;
  }
  return { hash: new Uint8Array(h.digest()), size };
}
export {
  DUMP_BUFFER_SIZE,
  DUMP_READ_CHUNK,
  DUMP_SMALL_FILE,
  DUMP_WINDOW,
  dumpPath,
  dumpPathChunks,
  dumpPathToBytes,
  hashPath,
  narHashAndSize,
};
