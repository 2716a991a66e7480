/**
 * `protocol <meetingId>` writes the protocol (lib/protocol) as XML, PDF, JSON and CSV — with
 * `--annex FILE` (the registrar's annex, checked against the chain) its register of owners and its
 * participants, with `--key FILE` signed by that local key (a detached JWS beside each file and the
 * JWKS). `protocol --verify FILE` checks a protocol file: its detached signature (FILE.jws, or
 * `--signature`) against the operator's published keys (`--jwks`, else the deployment's operator
 * record, else the JWKS file beside the protocol — and says which), then every figure in it against
 * the chain. A changed file fails both: the signature, and each figure that no longer matches is named.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ChainReader } from "#lib/recount/chain.js";
import type { Difference } from "#lib/recount/differences.js";
import { parseAnnex, type Annex } from "#lib/protocol/annex.js";
import { protocolFromChain } from "#lib/protocol/build.js";
import { renderProtocolFiles, writeProtocolFiles } from "#lib/protocol/files.js";
import type { Language } from "#lib/protocol/labels.js";
import { operatorRecordPath, readOperatorRecord } from "#lib/protocol/operator-record.js";
import { LocalKeySigner, SignatureError, parseJwks, verifyDetached, type Jwks } from "#lib/protocol/signer.js";
import { UnreadableProtocolError, checkProtocolPdfText, checkProtocolXml } from "#lib/protocol/verify.js";
import { UsageError } from "./errors.js";
import { pdfText } from "./pdf-text.js";

export async function readAnnex(file: string): Promise<Annex> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--annex ${file}: ${(err as Error).message}`);
  }
  const { annex, problems } = parseAnnex(json);
  if (!annex) throw new UsageError(`--annex ${file}: not a registrar's annex:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return annex;
}

export interface WriteOptions {
  language: Language;
  texts?: Iterable<string>;
  annex?: Annex;
  keyFile?: string;
  outDir: string;
  checkSignatures: boolean;
}

/** Builds and writes the protocol's files; returns them with the differences the recount and the annex check found. */
export async function writeProtocol(reader: ChainReader, meetingId: bigint, options: WriteOptions): Promise<{ files: string[]; differences: Difference[] }> {
  let signer: LocalKeySigner | undefined;
  if (options.keyFile) {
    try {
      signer = await LocalKeySigner.open(options.keyFile, { create: false });
    } catch (err) {
      throw new UsageError(`--key ${options.keyFile}: ${(err as Error).message}`);
    }
  }
  const { doc, differences } = await protocolFromChain(reader, meetingId, { language: options.language, texts: options.texts, annex: options.annex, checkSignatures: options.checkSignatures });
  const files = await writeProtocolFiles(await renderProtocolFiles(doc, signer), options.outDir);
  return { files, differences };
}

export interface VerifyOptions {
  signature?: string;
  jwks?: string;
  /** The deployment the command was given (a name or a file): its operator record holds the keys. */
  deployment: string;
}

export interface FileVerification {
  file: string;
  kind: "xml" | "pdf";
  meetingId: string | null;
  signature: { valid: boolean; keyId: string | null; keys: string; problem: string | null };
  differences: Difference[];
}

async function readBytes(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`${what} ${file} cannot be read: ${(err as Error).message}`);
  }
}

/** The operator's keys: given, from the deployment's operator record, or published beside the protocol. */
async function operatorKeys(file: string, options: VerifyOptions): Promise<{ jwks: Jwks; source: string }> {
  const fromFile = async (f: string, what: string) => {
    try {
      return parseJwks(JSON.parse((await readBytes(f, what)).toString("utf8")));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${what} ${f}: ${(err as Error).message}`);
    }
  };
  if (options.jwks) return { jwks: await fromFile(options.jwks, "--jwks"), source: `--jwks ${options.jwks}` };
  const record = operatorRecordPath(options.deployment);
  if (existsSync(record)) {
    try {
      return { jwks: (await readOperatorRecord(record)).protocolSigner.jwks, source: `the operator record ${record}` };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const beside = file.replace(/\.(xml|pdf)$/i, "") + ".jwks.json";
  if (existsSync(beside)) return { jwks: await fromFile(beside, "JWKS"), source: `the JWKS published beside the protocol, ${beside}` };
  throw new UsageError(`no operator keys to check the signature against: pass --jwks FILE, or publish ${record} or ${path.basename(beside)} beside the protocol`);
}

export async function verifyProtocolFile(reader: ChainReader, file: string, options: VerifyOptions): Promise<FileVerification> {
  const bytes = await readBytes(file, "protocol");
  const signatureFile = options.signature ?? `${file}.jws`;
  if (!existsSync(signatureFile)) throw new UsageError(`${file} is unsigned: no detached signature ${signatureFile} (pass --signature FILE)`);
  const signatureText = (await readBytes(signatureFile, "signature")).toString("utf8");
  const keys = await operatorKeys(file, options);
  const signature: FileVerification["signature"] = { valid: false, keyId: null, keys: keys.source, problem: null };
  const differences: Difference[] = [];
  try {
    const verified = verifyDetached(bytes, signatureText, keys.jwks);
    signature.valid = true;
    signature.keyId = verified.keyId;
  } catch (err) {
    if (!(err instanceof SignatureError)) throw err;
    if (err.code === "malformed_signature") throw new UsageError(`${signatureFile}: ${err.message}; ${file} is unsigned`);
    signature.problem = err.message;
    differences.push({ where: "signature", field: err.code, expected: `a valid signature by the operator's key (${keys.source})`, actual: err.message });
  }
  const kind = bytes.subarray(0, 5).toString("latin1") === "%PDF-" ? "pdf" : "xml";
  try {
    const check = kind === "pdf" ? await checkProtocolPdfText(reader, await pdfText(bytes)) : await checkProtocolXml(reader, bytes);
    differences.push(...check.differences);
    return { file, kind, meetingId: check.meetingId.toString(), signature, differences };
  } catch (err) {
    if (!(err instanceof UnreadableProtocolError)) throw err;
    // a signed file that is no protocol is unreadable; a changed one fails its signature, and says why it cannot be read
    if (signature.valid) throw new UsageError(`${file}: ${err.message}`);
    differences.push({ where: "file", field: "content", expected: "a protocol", actual: err.message });
    return { file, kind, meetingId: null, signature, differences };
  }
}
