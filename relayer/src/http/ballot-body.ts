/**
 * Reads the body of a ballot post into the JSON value it carries, as a strict JSON body parser
 * would, with the relayer's limits:
 *
 * - at most `maxBytes`, whether declared (answered before anything is read), received, or once
 *   decompressed, so a small compressed body cannot unpack into a large one;
 * - Content-Encoding identity, gzip, deflate, br or zstd (where Node has it);
 * - a charset of UTF-8 (the default) or UTF-16 (RFC 8259 allows nothing else), a leading byte-order
 *   mark ignored;
 * - an object or an array; an empty body reads as `{}`, which the schema then refuses by name.
 *
 * A plain UTF-8 body, nearly every ballot, goes from the socket's chunks to JSON.parse with no stream
 * in between: express's body parser cost as much CPU as the whole intake pipeline behind it.
 */
import type { IncomingMessage } from "node:http";
import type { Transform } from "node:stream";
import zlib from "node:zlib";
import { AppError } from "#lib/errors.js";

export type BallotBody = { ok: true; value: unknown } | { ok: false; error: AppError; close: boolean };

const DECOMPRESSORS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
  // Node 22.15 and later.
  ...(typeof zlib.createZstdDecompress === "function" ? { zstd: () => zlib.createZstdDecompress() } : {}),
};

/** The Content-Encodings a ballot post may use besides identity. */
export const CONTENT_ENCODINGS = Object.keys(DECOMPRESSORS);

/** Charset labels read, and the decoder of each (UTF-8 by Buffer, the fastest). */
const CHARSETS: Record<string, "utf-8" | "utf-16le" | "utf-16be"> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "utf-16": "utf-16le",
  "utf-16le": "utf-16le",
  "utf-16be": "utf-16be",
};

const CHARSET = /;\s*charset\s*=\s*("?)([^";,\s]*)\1/i;

/**
 * Reads `req`'s body and calls `done` once with its JSON value or with the error that answers it
 * (`close`: answer with Connection: close instead of reading the rest). A request the client
 * abandons gets no call: there is nobody to answer.
 */
export function readBallotBody(req: IncomingMessage, maxBytes: number, done: (body: BallotBody) => void): void {
  let finished = false;
  const finish = (body: BallotBody) => {
    if (finished) return;
    finished = true;
    done(body);
  };
  const tooLarge = () => finish({ ok: false, error: new AppError("payload_too_large", "the request body is too large"), close: true });
  const refuse = (error: AppError) => {
    req.resume();
    finish({ ok: false, error, close: false });
  };

  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) return tooLarge();

  const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  const decompress = encoding === "identity" ? undefined : DECOMPRESSORS[encoding];
  if (encoding !== "identity" && !decompress) {
    return refuse(unsupported(`the Content-Encoding '${shown(encoding)}' is not supported; send one of identity, ${CONTENT_ENCODINGS.join(", ")}`));
  }
  const label = CHARSET.exec(req.headers["content-type"] ?? "")?.[2]?.toLowerCase();
  const charset = label === undefined ? "utf-8" : CHARSETS[label];
  if (!charset) return refuse(unsupported(`the charset '${shown(label!)}' is not supported; send UTF-8`));

  const chunks: Buffer[] = [];
  let size = 0;
  const collect = (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > maxBytes) return tooLarge();
    chunks.push(chunk);
  };
  const complete = () => {
    if (finished) return;
    finish(parse(Buffer.concat(chunks), charset));
  };
  // The client went away: nothing to answer.
  req.on("error", () => (finished = true));

  if (!decompress) {
    req.on("data", collect);
    req.on("end", complete);
    return;
  }
  const stream = decompress();
  let received = 0;
  req.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) tooLarge();
    if (finished) {
      req.unpipe(stream);
      stream.destroy();
    }
  });
  stream.on("data", (chunk: Buffer) => {
    collect(chunk);
    if (finished) {
      req.unpipe(stream);
      stream.destroy();
    }
  });
  stream.on("error", () => {
    if (!finished) req.resume();
    finish({ ok: false, error: new AppError("bad_request", `the request body is not valid ${encoding} data`), close: false });
  });
  stream.on("end", complete);
  req.pipe(stream);
}

/** Strict JSON: an object or an array, or an empty body read as {}. */
function parse(bytes: Buffer, charset: "utf-8" | "utf-16le" | "utf-16be"): BallotBody {
  let text = charset === "utf-8" ? bytes.toString("utf8") : new TextDecoder(charset).decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  if (first === undefined) return { ok: true, value: {} };
  const malformed: BallotBody = { ok: false, error: new AppError("malformed_json", "the request body is not valid JSON"), close: false };
  if (first !== "{" && first !== "[") return malformed;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return malformed;
  }
}

function unsupported(message: string): AppError {
  return new AppError("unsupported_encoding", message);
}

/** A header value fit to quote in an error message: short, printable ASCII. */
function shown(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}
