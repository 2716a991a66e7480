/**
 * The kinds of document the store accepts, and how each is served. The type of a document is what
 * its bytes are (sniff.ts), never what an uploader says; the media type sent with it is this table's.
 * A PDF and an XML document are always downloads (`attachment`): a browser's viewer would otherwise
 * open them in the page's origin; images, texts and JSON are shown where they are opened.
 */
export const DOCUMENT_TYPES = ["pdf", "png", "jpeg", "text", "json", "xml"] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export interface TypeInfo {
  mediaType: string;
  extension: string;
  disposition: "attachment" | "inline";
}

export const TYPE_INFO: Readonly<Record<DocumentType, TypeInfo>> = Object.freeze({
  pdf: { mediaType: "application/pdf", extension: ".pdf", disposition: "attachment" },
  png: { mediaType: "image/png", extension: ".png", disposition: "inline" },
  jpeg: { mediaType: "image/jpeg", extension: ".jpg", disposition: "inline" },
  text: { mediaType: "text/plain; charset=utf-8", extension: ".txt", disposition: "inline" },
  json: { mediaType: "application/json; charset=utf-8", extension: ".json", disposition: "inline" },
  xml: { mediaType: "application/xml; charset=utf-8", extension: ".xml", disposition: "attachment" },
});

export function isDocumentType(value: string): value is DocumentType {
  return (DOCUMENT_TYPES as readonly string[]).includes(value);
}
