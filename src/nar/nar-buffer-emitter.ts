/**
 * NAR framing written straight into a caller's buffer: the emission side of the filesystem
 * dump's hot loop (src/node), which brings names, sizes and file contents and leaves the
 * tokens to this file. It checks nothing (the dump reads names from the filesystem, which
 * cannot hold `/` or NUL, and sorts them); {@link createNarWriter} is the checked writer.
 *
 * @module
 */
import { padLength, writeU64 } from "../codecs/wire-bytes.js";
import { NAR_HEADERS } from "./nar-tokens.js";

/** Most bytes one framing call other than {@link NarBufferEmitter.text} writes. */
export const NAR_EMIT_MAX_HEADER = 128;

const H = NAR_HEADERS;

/**
 * Writes NAR tokens at {@link NarBufferEmitter.at} in `buf` and advances it. Strings (names,
 * symlink targets) are given one character per byte (`latin1`). The caller keeps room: a
 * header takes at most {@link NAR_EMIT_MAX_HEADER} bytes, a string 16 bytes more than its length.
 */
export class NarBufferEmitter {
  /** Where the next byte goes. */
  at = 0;

  /** @param buf the output buffer (the caller flushes `buf[0, at)` and resets `at`). */
  constructor(readonly buf: Uint8Array) {}

  /** `nix-archive-1`. */
  magic(): void {
    this.put(H.magic);
  }

  /** `( type directory`. */
  directory(): void {
    this.put(H.directory);
  }

  /** `entry ( name NAME node` (the child node follows). */
  entry(name: string): void {
    this.put(H.entry);
    this.text(name);
    this.put(H.node);
  }

  /** `( type regular [executable ""] contents SIZE` (the contents follow). */
  regular(size: number, executable: boolean): void {
    this.put(executable ? H.executable : H.regular);
    writeU64(this.buf, this.at, size);
    this.at += 8;
  }

  /** Contents bytes of the current file (the caller may also write them into `buf` itself). */
  contents(bytes: Uint8Array): void {
    this.put(bytes);
  }

  /** The padding after `size` bytes of contents and the file's `)`. */
  endRegular(size: number): void {
    this.zeros(padLength(size));
    this.put(H.close);
  }

  /** `( type symlink target TARGET )`. */
  symlink(target: string): void {
    this.put(H.symlink);
    this.text(target);
    this.put(H.close);
  }

  /** `)`: closes a directory node or an entry. */
  close(): void {
    this.put(H.close);
  }

  /** A framed string given one character per byte. */
  text(text: string): void {
    const n = text.length;
    writeU64(this.buf, this.at, n);
    const b = this.buf;
    const at = this.at + 8;
    for (let i = 0; i < n; i++) b[at + i] = text.charCodeAt(i);
    this.at = at + n;
    this.zeros(padLength(text.length));
  }

  private put(b: Uint8Array): void {
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  private zeros(n: number): void {
    // (at most 7 bytes: a loop beats fill's call)
    const b = this.buf;
    for (let i = 0; i < n; i++) b[this.at + i] = 0;
    this.at += n;
  }
}
