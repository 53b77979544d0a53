/**
 * Buffers that `read(2)` fills quickly (Node only).
 *
 * A large buffer from Node's allocator starts 16 bytes past a page boundary (the allocator's
 * header on a fresh mapping). Reads of 128 KiB and more into such a buffer's first byte, or 8
 * bytes on, were 4-6 times slower than reads 16 or more bytes further on, on the AMD EPYC VMs
 * of this project (1 GiB from the page cache: 0.36-0.70 s against 0.07-0.14 s; 64 KiB reads
 * were fast everywhere). The likely cause is the kernel's `rep movsb` copy when destination
 * and source are a few bytes apart modulo 4 KiB, which these CPUs handle slowly. Starting
 * the buffer {@link READ_BUFFER_SKEW} bytes into its allocation keeps it clear of that.
 *
 * @module
 */

/** How far into its allocation a read buffer starts. */
export const READ_BUFFER_SKEW = 64;

/** A `size`-byte buffer for reads (a view starting {@link READ_BUFFER_SKEW} bytes into its memory). */
export function readBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size + READ_BUFFER_SKEW).subarray(READ_BUFFER_SKEW);
}
