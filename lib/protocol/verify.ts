/**
 * Checking a protocol file against the chain. The signature is checked by the caller
 * (`verifyDetached`); here every figure the file states is recomputed.
 *
 * - XML: the document must be well-formed UTF-8 and conform to the schema (else it is unreadable);
 *   the protocol is then rebuilt from the chain — with the file's own language, place, wordings (each
 *   checked against its hash) and annex (checked against the register at the snapshot) — and the two
 *   element trees are compared: every element, attribute and text that differs is named.
 * - PDF: given the text of its pages, the lines whose content the chain alone decides (see
 *   `chainFigureLines`) are rebuilt and must all appear, in order; each one missing is named.
 */
import type { ChainReader } from "../recount/chain.js";
import type { Difference } from "../recount/differences.js";
import { AppError } from "../errors.js";
import { protocolFromChain } from "./build.js";
import { LABELS, type Language } from "./labels.js";
import { chainFigureLines } from "./pdf.js";
import { compareTrees, protocolParts, protocolTree, validateProtocolXml } from "./protocol-xml.js";
import { readXml, XmlError } from "./xml.js";

/** The file is not a protocol this verifier can read (not UTF-8, not XML, not of the schema, no protocol number). */
export class UnreadableProtocolError extends AppError {
  constructor(message: string, problems: string[] = []) {
    super("unreadable_protocol", problems.length ? `${message}:\n${problems.map((p) => `  ${p}`).join("\n")}` : message, { details: { problems } });
  }
}

export interface ProtocolCheck {
  meetingId: bigint;
  differences: Difference[];
}

export async function checkProtocolXml(reader: ChainReader, bytes: Uint8Array): Promise<ProtocolCheck> {
  let source: string;
  try {
    source = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UnreadableProtocolError("the file is not UTF-8 text");
  }
  let root;
  try {
    root = readXml(source);
  } catch (err) {
    if (err instanceof XmlError) throw new UnreadableProtocolError(`not well-formed XML: ${err.message}`);
    throw err;
  }
  const problems = validateProtocolXml(root);
  if (problems.length) throw new UnreadableProtocolError("not a protocol of this format", problems.slice(0, 50));
  const parts = protocolParts(root);
  const differences: Difference[] = [];
  if (parts.chainId !== reader.deployment.chainId) differences.push({ where: "/Protocol/System", field: "@chainId", expected: String(reader.deployment.chainId), actual: String(parts.chainId) });
  const { doc, differences: chain } = await protocolFromChain(reader, parts.meetingId, { language: parts.language, texts: parts.texts, annex: parts.annex, place: parts.place });
  differences.push(...chain);
  differences.push(...compareTrees(protocolTree(doc), root));
  return { meetingId: parts.meetingId, differences };
}

/** Whitespace carries no meaning in extracted PDF text (lines wrap where the page ends). */
const squeeze = (s: string) => s.replace(/\s+/g, "");

export async function checkProtocolPdfText(reader: ChainReader, pageText: string): Promise<ProtocolCheck & { language: Language }> {
  const text = squeeze(pageText);
  // the number and the language from the text itself: the first field of either language's layout
  let found: { language: Language; meetingId: bigint } | undefined;
  for (const language of ["ru", "en"] as const) {
    const L = LABELS[language];
    for (const poll of [false, true]) {
      if (!text.startsWith(squeeze(L.title(poll)))) continue;
      const m = new RegExp(`^${escapeRegExp(squeeze(L.number(poll)))}:([1-9][0-9]{0,76})`).exec(text.slice(squeeze(L.title(poll) + L.form(poll)).length));
      if (m) found = { language, meetingId: BigInt(m[1]) };
    }
  }
  if (!found) throw new UnreadableProtocolError("the PDF's text does not begin as a protocol does (title, form and number)");
  const { doc, differences } = await protocolFromChain(reader, found.meetingId, { language: found.language });
  let from = 0;
  for (const line of chainFigureLines(doc)) {
    const wanted = squeeze(line);
    const at = text.indexOf(wanted, from);
    if (at >= 0) {
      from = at + wanted.length;
      continue;
    }
    const label = line.includes(":") ? line.slice(0, line.indexOf(":") + 1) : line.slice(0, 20);
    const near = text.indexOf(squeeze(label), from);
    differences.push({ where: "PDF text", field: label.replace(/:$/, ""), expected: line, actual: near >= 0 ? text.slice(near, near + wanted.length) : "not found in order" });
  }
  return { meetingId: found.meetingId, differences, language: found.language };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
