/**
 * Real pieces for the document store's tests: the store itself, in-process or as the process `npm run
 * documents` starts; an identity provider that serves its JWKS over HTTP and signs residents' tokens
 * (any audience, issuer or lifetime a test asks for); raw HTTP requests that send a path exactly as
 * written; and documents of every type, made here byte by byte or by pdfkit: a real PDF with
 * Cyrillic text, a PNG and a JPEG that decode, and the hostile files the store must refuse.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { crc32, deflateSync } from "node:zlib";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import PDFDocument from "pdfkit";
import { PROJECT_ROOT } from "#lib/deployment.js";
import { createLogger, type Logger } from "#lib/log.js";
import { loadConfig, type DocumentsConfig } from "../src/config.js";
import { startDocuments, type RunningDocuments } from "../src/service.js";

export const ISSUER = "test-idp";
export const AUDIENCE = "digital-home-documents";
export const KEEPER_TOKEN = "keeper-token-for-tests-0123456789";
export const SEED_TOKEN = "seed-token-for-tests-abcdefghijkl";

export function tempDir(prefix = "dh-documents-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function documentsEnv(dir: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    DOCUMENTS_PORT: "0",
    DOCUMENTS_DIR: dir,
    DOCUMENTS_JWT_ISSUER: ISSUER,
    DOCUMENTS_SERVICE_TOKENS: `keeper=${KEEPER_TOKEN},seed=${SEED_TOKEN}`,
    LOG_LEVEL: "silent",
    ...extra,
  };
}

/** A logger that keeps its records, for tests that check what the store reports. */
export function recordingLogger(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  return { log: createLogger("debug", {}, (line) => records.push(JSON.parse(line) as Record<string, unknown>)), records };
}

export interface StartedStore {
  documents: RunningDocuments;
  url: string;
  config: DocumentsConfig;
}

export async function startStore(dir: string, extra: Record<string, string | undefined> = {}, logger: Logger = createLogger("silent")): Promise<StartedStore> {
  const config = loadConfig(documentsEnv(dir, extra));
  const documents = await startDocuments(config, { logger });
  return { documents, url: documents.url, config };
}

export interface IdentityProvider {
  jwksUrl: string;
  /** A resident's token: the store's audience, the tests' issuer and five minutes unless told otherwise. */
  token(residentId: string, options?: { audience?: string; issuer?: string; expiresAt?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const keys = await generateKeyPair("ES256");
  const jwks = { keys: [{ ...(await exportJWK(keys.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" }] };
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    token: (sub, options = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
        .setSubject(sub)
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setJti(randomUUID())
        .setIssuedAt(options.expiresAt === undefined ? undefined : options.expiresAt - 600)
        .setExpirationTime(options.expiresAt ?? "5m")
        .sign(keys.privateKey),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
  bytes: Buffer;
}

async function answerOf(response: Response): Promise<Answer> {
  const bytes = Buffer.from(await response.arrayBuffer());
  let json: unknown;
  if ((response.headers.get("content-type") ?? "").startsWith("application/json")) {
    try {
      json = JSON.parse(bytes.toString("utf8"));
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, headers: response.headers, json, bytes };
}

/** PUT /v1/documents with the bytes as the body. */
export async function upload(
  url: string,
  bytes: Uint8Array | string,
  options: { token?: string; contentType?: string; name?: string; method?: "PUT" | "POST"; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const query = options.name === undefined ? "" : `?name=${encodeURIComponent(options.name)}`;
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  headers["content-type"] = options.contentType ?? "application/octet-stream";
  const body = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Buffer.from(bytes);
  return answerOf(await fetch(`${url}/v1/documents${query}`, { method: options.method ?? "PUT", headers, body }));
}

export async function get(url: string, init: RequestInit = {}): Promise<Answer> {
  return answerOf(await fetch(url, init));
}

/** A request whose path is sent exactly as written: no client normalises `..` or decodes `%2F` on the way. */
export function rawRequest(baseUrl: string, method: string, rawPath: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: rawPath }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------- documents

const require = createRequire(import.meta.url);
const FONT = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf", "DejaVuSans.ttf");

/** A real PDF made by pdfkit (as the protocol is), with the text in DejaVu Sans. */
export function pdfDocument(text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pdf = new PDFDocument({ size: "A4", info: { Title: "Приложение к повестке", Producer: "Digital Home tests" } });
    const chunks: Buffer[] = [];
    pdf.on("data", (c: Buffer) => chunks.push(c));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
    pdf.registerFont("regular", FONT);
    pdf.font("regular").fontSize(12).text(text);
    pdf.end();
  });
}

/**
 * A PDF assembled object by object with a correct cross-reference table; `objects[i]` is the body of
 * object i + 1 (a dictionary, or a dictionary and its stream as a Buffer). For the hostile PDFs.
 */
export function handMadePdf(objects: Array<string | Buffer>, trailer = "/Root 1 0 R"): Buffer {
  const parts: Buffer[] = [Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const part = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), typeof body === "string" ? Buffer.from(body, "latin1") : body, Buffer.from("\nendobj\n", "latin1")]);
    parts.push(part);
    offset += part.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, "0000000000 65535 f \n", ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`)].join("");
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} ${trailer} >>\nstartxref\n${offset}\n%%EOF\n`, "latin1"));
  return Buffer.concat(parts);
}

/** A stream object: its dictionary entries and data. */
export function streamObject(dict: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`, "latin1"), data, Buffer.from("\nendstream", "latin1")]);
}

/** The pages of a minimal document: catalog (with `catalogExtra`), pages, one empty page. */
export function minimalPdfObjects(catalogExtra = ""): string[] {
  return [`<< /Type /Catalog /Pages 2 0 R ${catalogExtra} >>`, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"];
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real RGB PNG of `width`×`height` (a gradient); `declared` overrides the size its header states. */
export function pngImage(width = 4, height = 3, declared?: { width: number; height: number }): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(declared?.width ?? width, 0);
  header.writeUInt32BE(declared?.height ?? height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 60) & 0xff, (y * 80) & 0xff, 0x90], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * A real baseline JPEG: one 8×8 grey block (a single DC coefficient and end-of-block), with a
 * quantisation table, a frame header, Huffman tables of one code each and the scan.
 */
export function jpegImage(): Buffer {
  const segment = (marker: number, data: number[]) => [0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff, ...data];
  const oneCodeTable = (tableClass: number) => [tableClass << 4, 1, ...new Array(15).fill(0), 0];
  return Buffer.from([
    0xff, 0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0, ...new Array(64).fill(1)]),
    ...segment(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]),
    ...segment(0xc4, oneCodeTable(0)),
    ...segment(0xc4, oneCodeTable(1)),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    0x3f,
    0xff, 0xd9,
  ]);
}

export const HTML_PAGE = "<!DOCTYPE html>\n<html><body><script>fetch('/v1/me').then(r => r.text()).then(alert)</script></body></html>\n";
export const SVG_IMAGE = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.domain)</script><rect width="10" height="10"/></svg>\n';

// ---------------------------------------------------------------- the process

export interface DocumentsProcess {
  child: ChildProcess;
  /** The "ready" line, or the exit code if the process ended first. */
  ready: Promise<{ ready: Record<string, unknown> } | { exit: number | null; stderr: string }>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `documents/src/main.ts` with `args` and exactly this environment (and PATH). */
export function spawnDocuments(args: string[], env: Record<string, string | undefined>): DocumentsProcess {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "documents/src/main.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
  const ready = new Promise<{ ready: Record<string, unknown> } | { exit: number | null; stderr: string }>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      stdout += line + "\n";
      if (line.includes('"msg":"ready"')) resolve({ ready: JSON.parse(line) as Record<string, unknown> });
    });
    void exited.then(({ code }) => resolve({ exit: code, stderr }));
  });
  return { child, ready, exited };
}
