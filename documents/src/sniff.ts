/**
 * What a document is, read from its bytes alone: the uploader's Content-Type is never believed.
 * Binary formats by their magic numbers and structure — a PDF (pdf-check.ts), a PNG whose chunks
 * are whole with their checksums and end at IEND, a JPEG whose segments reach a frame header and
 * the scan — and everything else must be UTF-8: XML when it opens with the XML declaration (and is
 * well-formed data, xml-check.ts), JSON when it parses to an object or array, plain text otherwise.
 * Other markup is refused, not stored as text: HTML and SVG would run as a page in a browser that
 * sniffs (and `nosniff` is a promise some clients ignore), and an agenda text has no use for tags.
 * Each type has its own size limit, checked before the content is decoded.
 */
import { crc32 } from "node:zlib";
import { AppError } from "#lib/errors.js";
import { checkPdf } from "./pdf-check.js";
import { checkXml } from "./xml-check.js";
import type { DocumentType } from "./types.js";

/** An image may be at most this many pixels a side and in all: a viewer decodes every one. */
export const MAX_IMAGE_SIDE = 20_000;
export const MAX_IMAGE_PIXELS = 100_000_000;

export interface Sniffed {
  type: DocumentType;
}

const ACCEPTED = "PDF, PNG, JPEG, UTF-8 text, JSON and XML are";

const unsupported = (what: string, details: Record<string, unknown> = {}) =>
  new AppError("unsupported_document_type", `${what}; ${ACCEPTED} accepted`, { details });

const startsWith = (bytes: Buffer, magic: number[], offset = 0) => bytes.length >= offset + magic.length && magic.every((b, i) => bytes[offset + i] === b);
const ascii = (bytes: Buffer, from: number, to: number) => bytes.subarray(from, to).toString("latin1");

/** Formats that are refused by name, so the message says what was sent. */
const KNOWN_OTHERS: Array<{ name: string; test: (b: Buffer) => boolean }> = [
  { name: "a GIF image", test: (b) => /^GIF8[79]a/.test(ascii(b, 0, 6)) },
  { name: "a WebP image", test: (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP" },
  { name: "a TIFF image", test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]) },
  { name: "an HEIF/AVIF image or MP4 video", test: (b) => ascii(b, 4, 8) === "ftyp" },
  { name: "a ZIP archive (or an Office document)", test: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06]) },
  { name: "a gzip archive", test: (b) => startsWith(b, [0x1f, 0x8b]) },
  { name: "an executable", test: (b) => startsWith(b, [0x7f, 0x45, 0x4c, 0x46]) || ascii(b, 0, 2) === "MZ" },
];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function checkDimensions(kind: string, width: number, height: number): void {
  if (width === 0 || height === 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw unsupported(`the ${kind} is ${width}×${height} pixels: expected 1–${MAX_IMAGE_SIDE} a side and at most ${MAX_IMAGE_PIXELS} pixels`, { type: kind.toLowerCase(), width, height });
  }
}

/** A PNG: the signature, IHDR first, every chunk whole with a correct CRC, at least one IDAT, IEND last. */
function checkPng(b: Buffer): void {
  const bad = (why: string) => unsupported(`the PNG is malformed: ${why}`, { type: "png" });
  let at = 8;
  let chunks = 0;
  let sawData = false;
  for (;;) {
    if (at + 12 > b.length) throw bad("it ends inside a chunk (no IEND)");
    const length = b.readUInt32BE(at);
    const type = ascii(b, at + 4, at + 8);
    if (length > 0x7fffffff || at + 12 + length > b.length) throw bad(`chunk ${type} runs past the end of the file`);
    if (crc32(b.subarray(at + 4, at + 8 + length)) !== b.readUInt32BE(at + 8 + length)) throw bad(`chunk ${type} has a wrong CRC`);
    if (chunks === 0) {
      if (type !== "IHDR" || length !== 13) throw bad("it does not start with an IHDR chunk");
      checkDimensions("PNG", b.readUInt32BE(at + 8), b.readUInt32BE(at + 12));
    }
    if (type === "IDAT") sawData = true;
    at += 12 + length;
    chunks++;
    if (type === "IEND") break;
  }
  if (!sawData) throw bad("it has no image data (IDAT)");
  if (at !== b.length) throw bad(`${b.length - at} bytes follow its IEND chunk`);
}

/** Start-of-frame markers: SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC). */
const isFrameHeader = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** A JPEG: SOI, then whole marker segments up to the scan (SOS), with a frame header before it. */
function checkJpeg(b: Buffer): void {
  const bad = (why: string) => unsupported(`the JPEG is malformed: ${why}`, { type: "jpeg" });
  let at = 2;
  let frame = false;
  for (;;) {
    if (at + 4 > b.length) throw bad("it ends before its image data");
    if (b[at] !== 0xff) throw bad(`expected a marker at byte ${at}`);
    let marker = b[at + 1]!;
    while (marker === 0xff && at + 2 < b.length) marker = b[++at + 1]!;
    if (marker === 0xd9) throw bad("it ends (EOI) before its image data");
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = b.readUInt16BE(at + 2);
    if (length < 2 || at + 2 + length > b.length) throw bad(`a segment at byte ${at} runs past the end of the file`);
    if (isFrameHeader(marker)) {
      if (length < 8) throw bad("its frame header is too short");
      checkDimensions("JPEG", b.readUInt16BE(at + 7), b.readUInt16BE(at + 5));
      frame = true;
    }
    if (marker === 0xda) {
      if (!frame) throw bad("its scan comes before a frame header");
      return;
    }
    at += 2 + length;
  }
}

/** The decoded text, or `unsupported_document_type` for bytes that are not UTF-8 text. */
function utf8Text(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw unsupported("the document is not a known binary format and not UTF-8 text", { reason: "not_utf8" });
  }
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.exec(text);
  if (control) {
    throw unsupported(`the document holds the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} at character ${control.index}: it is not plain text`, {
      reason: "control_character",
    });
  }
  return text;
}

/** Tags a browser would act on, wherever they stand in a text. */
const ACTIVE_TAG = /<\s*(!doctype|\?xml|script|svg|html|head|body|iframe|frame|object|embed|meta|link|style|base|form|img|math)[\s/>]/i;

/** Refuses text that is markup: HTML, SVG or XML, or a text that opens with a tag. */
function refuseMarkup(text: string): void {
  const tag = ACTIVE_TAG.exec(text);
  const opensWithTag = /^\s*<[A-Za-z!?/]/.test(text);
  if (!tag && !opensWithTag) return;
  const name = tag?.[1]!.toLowerCase();
  const kind = name === "svg" ? "SVG" : name === "?xml" ? (/<\s*svg[\s>]/i.test(text) ? "SVG" : "XML") : "HTML";
  throw new AppError("active_content_refused", `the document is ${kind} markup: markup is not accepted (a browser would run it as a page)`, {
    details: { kind: kind.toLowerCase(), ...(tag ? { tag: `<${tag[1]}` } : {}) },
  });
}

function tooLarge(type: DocumentType | "text or json", size: number, limit: number): AppError {
  const shown = { pdf: "PDF", png: "PNG", jpeg: "JPEG", text: "text", json: "JSON", xml: "XML", "text or json": "text" }[type];
  return new AppError("document_too_large", `the ${shown} document is ${size} bytes; at most ${limit} are accepted`, {
    details: { type, size, limit },
  });
}

function withinLimit(type: DocumentType, size: number, limits: Readonly<Record<DocumentType, number>>): void {
  if (size > limits[type]) throw tooLarge(type, size, limits[type]);
}

/** Whether a Content-Type names JSON (what the uploader says; used only to refuse JSON that does not parse). */
function declaresJson(declared: string | undefined): boolean {
  const media = (declared ?? "").split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

/**
 * The type of `bytes`, or the refusal: `empty_document`, `document_too_large` (the type's limit),
 * `unsupported_document_type` (an unknown or malformed format), `active_content_refused` (markup,
 * a PDF with scripts, XML that is not data only), `malformed_xml`, `malformed_json` (declared JSON
 * that does not parse).
 */
export function sniff(bytes: Buffer, limits: Readonly<Record<DocumentType, number>>, declaredType?: string): Sniffed {
  if (bytes.length === 0) throw new AppError("empty_document", "the document is empty");
  if (ascii(bytes, 0, 5) === "%PDF-") {
    withinLimit("pdf", bytes.length, limits);
    checkPdf(bytes);
    return { type: "pdf" };
  }
  if (startsWith(bytes, PNG_SIGNATURE)) {
    withinLimit("png", bytes.length, limits);
    checkPng(bytes);
    return { type: "png" };
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    withinLimit("jpeg", bytes.length, limits);
    checkJpeg(bytes);
    return { type: "jpeg" };
  }
  const other = KNOWN_OTHERS.find((k) => k.test(bytes));
  if (other) throw unsupported(`the document is ${other.name}`, { format: other.name });

  // Before decoding: only a document that opens with { or [ may be JSON, with <?xml XML, and have their limits.
  const opening = ascii(bytes, 0, 256);
  const mayBeXml = /^(\xef\xbb\xbf)?<\?xml/.test(opening);
  const mayBeJson = /^(\xef\xbb\xbf)?[\t\n\r ]*[{[]/.test(opening);
  if (mayBeXml) withinLimit("xml", bytes.length, limits);
  const textLimit = mayBeJson ? Math.max(limits.text, limits.json) : limits.text;
  if (!mayBeXml && bytes.length > textLimit) throw tooLarge(mayBeJson ? "text or json" : "text", bytes.length, textLimit);
  const text = utf8Text(bytes);
  if (mayBeXml) {
    checkXml(text);
    return { type: "xml" };
  }
  refuseMarkup(text);
  const first = /\S/.exec(text)?.[0];
  if (first === "{" || first === "[") {
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === "object") {
        withinLimit("json", bytes.length, limits);
        return { type: "json" };
      }
    } catch (err) {
      if (declaresJson(declaredType)) {
        throw new AppError("malformed_json", `the document is sent as JSON and does not parse: ${(err as Error).message}`, { details: { type: "json" } });
      }
    }
  } else if (declaresJson(declaredType)) {
    throw new AppError("malformed_json", "the document is sent as JSON and is not a JSON object or array", { details: { type: "json" } });
  }
  if (text.trim().length === 0) throw new AppError("empty_document", "the document is only white space");
  withinLimit("text", bytes.length, limits);
  return { type: "text" };
}
