/**
 * The protocol's files, rendered from the model: the XML electronic document, its PDF, the JSON of
 * the model and the CSV tables; with a signer, a detached signature of the XML and of the PDF and the
 * JWKS that checks them. Rendering is deterministic (same model, same bytes), and so is Ed25519, so a
 * protocol rendered twice is the same set of files.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { protocolCsv } from "./csv.js";
import type { ProtocolDocument } from "./model.js";
import { renderProtocolPdf } from "./pdf.js";
import { protocolTree } from "./protocol-xml.js";
import type { ProtocolSigner } from "./signer.js";
import { writeXml } from "./xml.js";

export interface ProtocolFile {
  /** The file's name: protocol-<id>.xml, protocol-<id>.xml.jws, … */
  name: string;
  role: "xml" | "pdf" | "json" | "questions-csv" | "ballots-csv" | "xml-signature" | "pdf-signature" | "jwks";
  contentType: string;
  bytes: Buffer;
}

export const XML_TYPE = "application/xml";
export const PDF_TYPE = "application/pdf";
export const JWS_TYPE = "application/jose";

/** The set of files of one protocol. */
export async function renderProtocolFiles(doc: ProtocolDocument, signer?: ProtocolSigner): Promise<ProtocolFile[]> {
  const base = `protocol-${doc.meetingId}`;
  const xml = Buffer.from(writeXml(protocolTree(doc)), "utf8");
  const pdf = await renderProtocolPdf(doc);
  const csv = protocolCsv(doc);
  const files: ProtocolFile[] = [
    { name: `${base}.xml`, role: "xml", contentType: XML_TYPE, bytes: xml },
    { name: `${base}.pdf`, role: "pdf", contentType: PDF_TYPE, bytes: pdf },
    { name: `${base}.json`, role: "json", contentType: "application/json", bytes: Buffer.from(JSON.stringify(doc, null, 2) + "\n") },
    { name: `${base}-questions.csv`, role: "questions-csv", contentType: "text/csv", bytes: Buffer.from(csv.questions) },
    { name: `${base}-ballots.csv`, role: "ballots-csv", contentType: "text/csv", bytes: Buffer.from(csv.ballots) },
  ];
  if (signer) {
    files.push({ name: `${base}.xml.jws`, role: "xml-signature", contentType: JWS_TYPE, bytes: Buffer.from(await signer.sign(xml, XML_TYPE)) });
    files.push({ name: `${base}.pdf.jws`, role: "pdf-signature", contentType: JWS_TYPE, bytes: Buffer.from(await signer.sign(pdf, PDF_TYPE)) });
    files.push({ name: `${base}.jwks.json`, role: "jwks", contentType: "application/json", bytes: Buffer.from(JSON.stringify(signer.publicJwks(), null, 2) + "\n") });
  }
  return files;
}

/** Writes the files into `dir`, each atomically; returns their paths. */
export async function writeProtocolFiles(files: ProtocolFile[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const f of files) {
    const file = path.join(dir, f.name);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, f.bytes);
    await rename(tmp, file);
    out.push(file);
  }
  return out;
}
