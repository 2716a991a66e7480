/**
 * The text of a PDF's pages, read with pdfjs-dist (Mozilla's PDF reader): what a verifier compares a
 * protocol's PDF by. A file pdfjs cannot open is unreadable.
 */
import { UsageError } from "./errors.js";

export async function pdfText(bytes: Uint8Array): Promise<string> {
  const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");
  let text = "";
  try {
    const task = getDocument({ data: new Uint8Array(bytes), disableFontFace: true, useSystemFonts: false, verbosity: 0 });
    const pdf = await task.promise;
    for (let p = 1; p <= pdf.numPages; p++) {
      const content = await (await pdf.getPage(p)).getTextContent();
      text += content.items.map((i) => ("str" in i ? i.str + (i.hasEOL ? "\n" : "") : "")).join("") + "\n";
    }
    await task.destroy();
  } catch (err) {
    throw new UsageError(`the PDF cannot be read: ${(err as Error).message}`);
  }
  return text;
}
