/**
 * Responses whose whole body is bytes in hand (narinfos, `nix-cache-info`, error texts), made
 * so that a server adapter can write those bytes at once instead of reading them back from
 * the `Response`'s body stream (which costs more than the rest of a narinfo response in Node);
 * and responses whose body can also be lent chunk by chunk (a NAR from the daemon: see
 * {@link lentChunksOf}). The `Response` is a normal one: any other runtime reads its body as
 * usual.
 *
 * @module
 */

const bodies = new WeakMap<Response, Uint8Array>();

/** A `Response` with `body` (null: none), remembered as {@link bytesOfResponse}'s. */
export function bytesResponse(body: Uint8Array<ArrayBuffer> | null, init: ResponseInit): Response {
  const response = new Response(body, init);
  if (body !== null) bodies.set(response, body);
  return response;
}

/**
 * The body of a response made by {@link bytesResponse}, whose stream is then left unread
 * (undefined for any other response: read its stream).
 */
export function bytesOfResponse(response: Response): Uint8Array | undefined {
  return response.bodyUsed ? undefined : bodies.get(response);
}

const lenders = new WeakMap<Response, () => AsyncGenerator<Uint8Array, void, undefined>>();

/**
 * A `Response` with the body `stream`, whose same bytes `lend` also gives as lent chunks (each
 * valid only until the next is asked for), remembered as {@link lentChunksOf}'s.
 */
export function lendingResponse(
  stream: ReadableStream<Uint8Array>,
  lend: () => AsyncGenerator<Uint8Array, void, undefined>,
  init: ResponseInit,
): Response {
  const response = new Response(stream, init);
  lenders.set(response, lend);
  return response;
}

/**
 * The lender of a response made by {@link lendingResponse} (undefined for any other response,
 * or once its stream was read): a consumer that is done with each chunk before it asks for
 * the next (its bytes written out, no view kept) reads the body from it, and leaves the
 * `Response`'s stream unread.
 */
export function lentChunksOf(
  response: Response,
): (() => AsyncGenerator<Uint8Array, void, undefined>) | undefined {
  return response.bodyUsed ? undefined : lenders.get(response);
}
