// The protocol on the page: its files for owners to download from a finalized meeting's page, their
// signatures checked in the browser against the operator's keys, a check of any protocol file an
// auditor has, and what the auditor page's recount compares.
import * as api from "../api.js";
import { errorMessage, h } from "../app.js";
import { extendTexts, language, t } from "../i18n.js";
import { parseJwks, verifyDetached } from "../protocol-signature.js";

extendTexts({
  ru: {
    protocol: "Протокол",
    protocolPending: "Протокол составляется после подведения итогов голосования.",
    protocolFiles: "Файлы протокола",
    protocolXml: "Протокол (XML, электронный документ)",
    protocolPdf: "Протокол (PDF)",
    protocolXmlSignature: "Подпись XML (JWS)",
    protocolPdfSignature: "Подпись PDF (JWS)",
    protocolJwks: "Ключи оператора (JWKS)",
    protocolProduced: "Составлен",
    checkSignatures: "Проверить подписи",
    signatureValid: "Подпись верна: файл подписан ключом оператора",
    signatureInvalid: "Подпись не подтверждена",
    signatureErrors: {
      malformed_signature: "это не подпись протокола (JWS с отделённым содержимым)",
      unknown_signing_key: "файл подписан ключом, которого нет среди ключей оператора",
      signature_mismatch: "файл изменён после подписания",
      invalid_jwks: "файл ключей — не набор открытых ключей Ed25519 (JWKS)",
      no_file: "выберите файл протокола и файл его подписи",
    },
    operatorKeys: "Ключи оператора",
    operatorKeysFrom: "из записи оператора установки",
    operatorKeysFile: "из выбранного файла",
    protocolCheck: "Проверка подписи файла протокола",
    protocolCheckHint: "Файл и подпись проверяются в браузере (Ed25519, WebCrypto); файлы никуда не отправляются.",
    protocolFile: "Файл протокола (.xml или .pdf)",
    protocolSignatureFile: "Файл подписи (.jws)",
    protocolKeysFile: "Ключи (JWKS или запись оператора), необязательно",
    keyId: "ключ",
    recountScope: "Что сравнивает этот пересчёт",
    recountScopeText: [
      "Страница складывает вес каждого учтённого бюллетеня (событие BallotCast, включая решения на бумаге), как его проиндексировал сервис данных, по каждому вопросу и ответу.",
      "Сравнивается: число бюллетеней и вес участвовавших — с итогами собрания; «за», «против», «воздержался» — с итогами каждого вопроса; недействительные и пустые ответы на бумаге — с их суммами.",
      "После подведения итогов итоги собрания и вопросов — собственный подсчёт договора из событий MeetingFinalized и QuestionDecided: так бюллетени сверяются с подсчётом блокчейна. До этого итоги — текущие суммы индекса.",
      "Здесь не проверяются подписи бюллетеней и вес каждого голосующего по реестру на дату реестра: их проверил договор, принимая бюллетень (отклонённые видны как BallotRejected). Полный независимый пересчёт по событиям блокчейна с проверкой подписей и весов делает «npm run audit -- recount», а протокол — «npm run audit -- protocol --verify».",
    ],
  },
  en: {
    protocol: "Protocol",
    protocolPending: "The protocol is drawn up once the results are final.",
    protocolFiles: "The protocol's files",
    protocolXml: "Protocol (XML, the electronic document)",
    protocolPdf: "Protocol (PDF)",
    protocolXmlSignature: "Signature of the XML (JWS)",
    protocolPdfSignature: "Signature of the PDF (JWS)",
    protocolJwks: "The operator's keys (JWKS)",
    protocolProduced: "Drawn up",
    checkSignatures: "Check the signatures",
    signatureValid: "The signature is valid: the file is signed with the operator's key",
    signatureInvalid: "The signature is not confirmed",
    signatureErrors: {
      malformed_signature: "this is not a protocol's signature (a JWS with a detached payload)",
      unknown_signing_key: "the file is signed with a key that is not among the operator's keys",
      signature_mismatch: "the file was changed after it was signed",
      invalid_jwks: "the key file is not a set of Ed25519 public keys (JWKS)",
      no_file: "choose the protocol file and its signature file",
    },
    operatorKeys: "The operator's keys",
    operatorKeysFrom: "from the installation's operator record",
    operatorKeysFile: "from the chosen file",
    protocolCheck: "Check a protocol file's signature",
    protocolCheckHint: "The file and its signature are checked in the browser (Ed25519, WebCrypto); nothing is sent anywhere.",
    protocolFile: "Protocol file (.xml or .pdf)",
    protocolSignatureFile: "Signature file (.jws)",
    protocolKeysFile: "Keys (a JWKS or an operator record), optional",
    keyId: "key",
    recountScope: "What this recount compares",
    recountScopeText: [
      "The page adds up the weight of every counted ballot (BallotCast events, paper decisions included) as the data service indexed it, per question and answer.",
      "It compares the number of ballots and the weight that took part with the meeting's totals; For, Against and Abstain with each question's; void and unanswered paper answers with their sums.",
      "Once the results are final, the meeting's and questions' totals are the contract's own count from its MeetingFinalized and QuestionDecided events: the ballots are checked against the chain's count. Before that they are the index's running sums.",
      "Not checked here: the ballots' signatures and each voter's weight in the register at the snapshot — the contract checked them when it took each ballot (those it refused show as BallotRejected). A full independent recount from the chain's events, signatures and weights included, is `npm run audit -- recount`; the protocol's, `npm run audit -- protocol --verify`.",
    ],
  },
});

const signatureError = (err) => t("signatureErrors")[err.code] ?? errorMessage(err);

/** The operator's keys from its record, or from a file the auditor chose (a JWKS, or a whole operator record). */
async function operatorKeys(file) {
  if (file) {
    let json;
    try {
      json = JSON.parse(await file.text());
    } catch {
      throw Object.assign(new Error("not JSON"), { code: "invalid_jwks" });
    }
    return { keys: await parseJwks(json.protocolSigner?.jwks ?? json), from: t("operatorKeysFile") };
  }
  const record = await api.operator();
  return { keys: await parseJwks(record.protocolSigner.jwks), from: `${t("operatorKeysFrom")}${record.operator ? ` (${record.operator})` : ""}` };
}

/** A result line: valid with the key it was signed with, or why not. */
function verdict(label, result) {
  return result.ok
    ? h("li", { "data-signature": "valid", "data-key": result.keyId }, h("strong", { className: "ok" }, `✓ ${label}: `), `${t("signatureValid")} (${t("keyId")} `, h("span", { className: "mono" }, result.keyId), `, ${result.from})`)
    : h("li", { "data-signature": "invalid", "data-code": result.code }, h("strong", { className: "bad" }, `✗ ${label}: `), `${t("signatureInvalid")} — ${result.text}`);
}

async function check(bytes, signature, keys) {
  try {
    const { keyId } = await verifyDetached(bytes, signature, keys.keys);
    return { ok: true, keyId, from: keys.from };
  } catch (err) {
    return { ok: false, code: err.code, text: signatureError(err) };
  }
}

/** The protocol card of a meeting's page: its files to download and their signatures checked, or when it will be there. */
export async function protocolPanel(m) {
  const card = h("div", { className: "card", id: "protocol" }, h("h2", {}, t("protocol")));
  if (m.status !== "Finalized") return card.append(h("p", { className: "muted" }, t("protocolPending"))), card;
  let protocol;
  try {
    protocol = await api.protocolOf(m.meetingId);
  } catch (err) {
    card.append(h("p", { className: "muted", "data-code": err.code }, err.code === "protocol_not_produced" ? t("protocolPending") : errorMessage(err)));
    return card;
  }
  const d = protocol.documents;
  const failed = h("p", { className: "bad", id: "protocol-download-error", hidden: true });
  // the XML and the PDF are restricted to the building's owners and the meeting's officers: read with the resident's token, saved from memory
  const save = async (e, doc) => {
    e.preventDefault();
    try {
      const url = URL.createObjectURL(new Blob([await api.documentBytes(doc.id)]));
      const a = h("a", { href: url, download: doc.name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      failed.hidden = true;
    } catch (err) {
      failed.hidden = false;
      failed.dataset.code = err.code ?? "";
      failed.textContent = errorMessage(err);
    }
  };
  const link = (doc, label, id) =>
    h("li", {}, h("a", { href: api.documentUrl(doc.id), download: doc.name, id, "data-document": doc.id, onclick: (e) => save(e, doc) }, label), h("span", { className: "muted" }, ` · ${doc.name} · ${Math.max(1, Math.round(doc.size / 1024))} KB`));
  const results = h("ul", { className: "list", id: "protocol-signatures" });
  const button = h("button", { type: "button", id: "check-protocol" }, t("checkSignatures"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    results.replaceChildren(h("li", { className: "muted" }, t("loading")));
    try {
      const keys = await operatorKeys();
      const lines = [];
      for (const [file, signature, label] of [[d.xml, d.xmlSignature, "XML"], [d.pdf, d.pdfSignature, "PDF"]]) {
        const [bytes, jws] = await Promise.all([api.documentBytes(file.id), api.documentBytes(signature.id)]);
        lines.push(verdict(label, await check(bytes, new TextDecoder().decode(jws), keys)));
      }
      results.replaceChildren(...lines);
    } catch (err) {
      results.replaceChildren(h("li", { className: "bad", "data-code": err.code }, signatureError(err)));
    } finally {
      button.disabled = false;
    }
  });
  card.append(
    h("p", { className: "muted" }, `${t("protocolProduced")}: ${new Date(protocol.producedAt).toLocaleString(language() === "ru" ? "ru-RU" : "en-GB")}`),
    h("ul", { className: "list", id: "protocol-files" }, link(d.xml, t("protocolXml"), "protocol-xml"), link(d.pdf, t("protocolPdf"), "protocol-pdf"), link(d.xmlSignature, t("protocolXmlSignature")), link(d.pdfSignature, t("protocolPdfSignature")), link(d.jwks, t("protocolJwks"))),
    failed,
    button,
    results,
  );
  return card;
}

/** The auditor's check of any protocol file and its detached signature, in the browser. */
export function protocolCheckCard() {
  const file = h("input", { type: "file", id: "protocol-file", accept: ".xml,.pdf,application/xml,application/pdf" });
  const signature = h("input", { type: "file", id: "protocol-signature", accept: ".jws,text/plain" });
  const keysFile = h("input", { type: "file", id: "protocol-keys", accept: ".json,application/json" });
  const out = h("ul", { className: "list", id: "protocol-check-result" });
  const form = h(
    "form",
    {
      id: "protocol-check",
      onsubmit: async (e) => {
        e.preventDefault();
        const [f, s] = [file.files?.[0], signature.files?.[0]];
        if (!f || !s) return out.replaceChildren(verdict("—", { ok: false, code: "no_file", text: t("signatureErrors").no_file }));
        out.replaceChildren(h("li", { className: "muted" }, t("loading")));
        try {
          const keys = await operatorKeys(keysFile.files?.[0]);
          out.replaceChildren(verdict(f.name, await check(new Uint8Array(await f.arrayBuffer()), await s.text(), keys)));
        } catch (err) {
          out.replaceChildren(verdict(f.name, { ok: false, code: err.code, text: signatureError(err) }));
        }
      },
    },
    h("p", {}, h("label", { for: "protocol-file" }, t("protocolFile")), h("br"), file),
    h("p", {}, h("label", { for: "protocol-signature" }, t("protocolSignatureFile")), h("br"), signature),
    h("p", {}, h("label", { for: "protocol-keys" }, t("protocolKeysFile")), h("br"), keysFile),
    h("button", { type: "submit", id: "protocol-check-button" }, t("check")),
  );
  return h("div", { className: "card", id: "protocol-check-card" }, h("h2", {}, t("protocolCheck")), h("p", { className: "muted" }, t("protocolCheckHint")), form, out);
}

/** What the auditor page's recount compares, and what it leaves to the command-line audit. */
export function recountScope() {
  return h("details", { id: "recount-scope" }, h("summary", {}, t("recountScope")), t("recountScopeText").map((p) => h("p", { className: "muted" }, p)));
}
