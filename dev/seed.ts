/**
 * The demo of `npm start`: two buildings with realistic premises (flats of 30–120 m², shops, parking
 * spaces, a flat held jointly by spouses, a flat split in thirds between heirs, a flat owned by the
 * city), their registers in `dev/demo/*.csv` (the registrar's format) imported through the
 * registrar's API — which onboards every owner, resident and organisation at custody and in the
 * notifier's directory and writes the chain — and the meetings' notices, wordings and materials as
 * documents in the document store (`agendaRef` the notice's hash, `textRef` each wording's).
 *
 * - A finished annual meeting in the second building, announced gas-free by the management
 *   organisation (an account in custody like a resident's) with a council member as its
 *   administrator: she records a power of attorney and enters a paper decision (one question marked
 *   twice) gas-free, through custody and the relayer; the representative votes for his mother; the
 *   others vote through custody; the keeper finalizes it after its window and files its protocol.
 * - An open extraordinary meeting in the first building, announced gas-free by an owner in custody
 *   (a forward request through the relayer), on the seed's agenda with each question's type from the
 *   legal rules (driveway gates: land plot, art. 44 part 2 item 2; entrance door and doorkeeper:
 *   other questions; a new management company: item 4.7) and a PDF estimate among its materials, the
 *   management organisation its administrator, and a representative holding a power of attorney for
 *   all meetings of the building.
 * - An open neighbours' poll in the first building, announced by the management organisation.
 *
 * Owners get their keys from the custody service and vote through it, exactly as a resident does on
 * the web page.
 */
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import PDFDocument from "pdfkit";
import { JsonRpcProvider, NonceManager, id, type Signer } from "ethers";
import { MeetingHall__factory } from "#typechain/index.js";
import { PROJECT_ROOT, type Deployment } from "#lib/deployment.js";
import { packChoices } from "#lib/ballot.js";
import { Choice, Status, type MeetingTypeName } from "#lib/domain.js";
import { DocumentsClient } from "#lib/documents-client.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import { NOTICE_FORMAT, encodeNotice, type NoticeInput } from "#lib/notice.js";
import { AppError } from "#lib/errors.js";

export interface SeedOptions {
  rpcUrl: string;
  deployment: Deployment;
  /** The registrar's chain account (REGISTRAR_ROLE): records a power of attorney for every meeting of a building, once the imports are done. */
  registrar: Signer;
  custodyUrl: string;
  /** Custody's registrar token: onboards the representatives, who are in no building's register. */
  registrarToken: string;
  relayerUrl: string;
  /** The registrar's API and its token: the demo's registers are imported through it. */
  registrarUrl: string;
  registrarApiToken: string;
  /** The document store and a service token of it: the agendas' wordings, notices and materials. */
  documentsUrl: string;
  documentsToken: string;
  /** Where the agenda texts are also written (a JSON array), for the readers that still take a file. */
  textsFile: string;
  progress?: (message: string) => void;
}

export interface DemoLogin {
  residentId: string;
  role: string;
}

export interface SeedResult {
  logins: DemoLogin[];
  /** Every resident id the demo onboarded at the custody service. */
  residents: string[];
  meetings: { finished: bigint; open: bigint; poll: bigint };
  /** The notice documents (each the meeting's `agendaRef`). */
  notices: { finished: string; open: string; poll: string };
  /** The open meeting's PDF attachment. */
  attachment: string;
}

/** The rules version the demo's deployment publishes (the newest of lib/legal-rules.ts). */
const RULES = RULES_VERSIONS.at(-1)!;
const type = (code: string) => questionTypeIndex(RULES, code);

/** The demo's register files, one a building, in the registrar's format (registrar/README.md). */
export const REGISTER_FILES = ["profsoyuznaya-56.csv", "leninsky-90.csv"].map((f) => path.join(PROJECT_ROOT, "dev", "demo", f));

export const AGENDA = {
  open: [
    { text: "Установить автоматические ворота (шлагбаум) на въезде во двор", code: "44.2.2" },
    { text: "Заменить входную дверь в подъезде № 1", code: "other" },
    { text: "Нанять консьержа для подъездов № 1 и 2", code: "other" },
    { text: "Выбрать новую управляющую организацию ООО «Уютный дом»", code: "44.2.4.7" },
  ],
  finished: [
    { text: "Провести текущий ремонт подъездов в 2026 году", code: "other" },
    { text: "Установить детскую площадку во дворе", code: "44.2.2" },
  ],
  poll: ["Покрасить стены в подъезде в светло-зелёный цвет?", "Нужна ли во дворе велопарковка?"],
  /** The buildings by their cadastral numbers (the registry's `ref` is keccak256 of each). */
  buildings: ["77:06:0004003:1056", "77:06:0002009:2090"],
};

/** Every text of the demo's agendas and the buildings' cadastral numbers, as the texts file lists them. */
export function agendaTexts(): string[] {
  return [...AGENDA.open.map((q) => q.text), ...AGENDA.finished.map((q) => q.text), ...AGENDA.poll, ...AGENDA.buildings];
}

/** Writes the texts file (a JSON array of strings) that the readers still taking one serve by hash. */
export async function writeAgendaTexts(file: string): Promise<void> {
  await writeFile(file, JSON.stringify(agendaTexts(), null, 2) + "\n");
}

/** Who does what in the demo. */
const ROLES = {
  /** The management organisation of both buildings: announces the finished meeting and the poll, administers the open meeting. */
  organisation: "uk.uyutny-dom",
  /** Owner in building 1 who announces the open meeting, gas-free. */
  openInitiator: "smirnova.olga",
  /** Owner in building 2, council member, the finished meeting's administrator. */
  finishedAdministrator: "bogdanova.ksenia",
  /** In building 2: votes through her son, under a power of attorney for the finished meeting. */
  finishedPrincipal: "golubeva.yulia",
  finishedRepresentative: "golubev.sergei",
  /** In building 2: hands in a paper decision. */
  onPaper: "vorobiev.nikita",
  /** In building 1: her son holds a power of attorney for every meeting of the building. */
  openPrincipal: "volkova.natalia",
  openRepresentative: "volkov.denis",
};
/** The owners of the second building (dev/demo/leninsky-90.csv) but the city. */
const FINISHED_OWNERS = ["golubeva.yulia", "vinogradov.artem", "bogdanova.ksenia", "vorobiev.nikita", "fedorova.daria", "mikhailov.roman", "belyaeva.anastasia", "tarasov.egor"];
/** People in no building's register: the representatives, onboarded at custody by the seed. */
const REPRESENTATIVES = [ROLES.finishedRepresentative, ROLES.openRepresentative];

const PAPER_DECISIONS = "Решения на бумаге принимаются администратором собрания до окончания голосования: г. Москва, Ленинский пр-т, д. 90, помещение совета дома, по будням с 18:00 до 20:00";

async function json(url: string, init: RequestInit & { token?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = { "content-type": init.contentType ?? "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(url, { ...init, headers });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = body.error as { code?: string; message?: string } | undefined;
    throw new AppError("seed_failed", `${init.method ?? "GET"} ${url}: ${response.status} ${error?.code ?? ""} ${error?.message ?? ""}`.trim(), {
      details: { status: response.status, code: error?.code },
    });
  }
  return body;
}

/** A one-page estimate with Cyrillic text, the open meeting's attachment (its dates fixed, so its hash is the same every start). */
async function estimatePdf(): Promise<Buffer> {
  const require = createRequire(import.meta.url);
  const font = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf", "DejaVuSans.ttf");
  const at = new Date("2026-03-02T09:00:00Z");
  const pdf = new PDFDocument({ size: "A4", margin: 56, info: { Title: "Смета: автоматические ворота", Producer: "Digital Home", Creator: "Digital Home", CreationDate: at, ModDate: at } });
  const chunks: Buffer[] = [];
  pdf.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => pdf.on("end", () => resolve()));
  pdf.font(font).fontSize(16).text("Смета на установку автоматических ворот (шлагбаума)");
  pdf.moveDown().fontSize(11).text("г. Москва, ул. Профсоюзная, д. 56 — въезд во двор со стороны ул. Профсоюзной");
  pdf.moveDown();
  for (const [item, sum] of [
    ["Шлагбаум с приводом, стрела 5 м", "148 500 ₽"],
    ["Фундамент и монтаж", "42 000 ₽"],
    ["GSM-модуль и пульты, 120 шт.", "36 800 ₽"],
    ["Обслуживание, первый год", "24 000 ₽"],
    ["Итого", "251 300 ₽"],
  ]) pdf.text(`${item} — ${sum}`);
  pdf.moveDown().text("Взнос на помещение пропорционально площади: около 52 ₽ за м².");
  pdf.end();
  await done;
  return Buffer.concat(chunks);
}

export async function seedDemo(options: SeedOptions): Promise<SeedResult> {
  const say = options.progress ?? (() => undefined);
  const provider = new JsonRpcProvider(options.rpcUrl, undefined, { pollingInterval: 200, cacheTimeout: -1 });
  const registrar = new NonceManager(options.registrar);
  const hall = MeetingHall__factory.connect(options.deployment.contracts.MeetingHall.address, provider);
  const hallByRegistrar = MeetingHall__factory.connect(options.deployment.contracts.MeetingHall.address, registrar);
  const custody = options.custodyUrl.replace(/\/$/, "");
  const relayer = options.relayerUrl.replace(/\/$/, "");
  const registrarApi = options.registrarUrl.replace(/\/$/, "");
  const documents = new DocumentsClient(options.documentsUrl, { token: options.documentsToken });

  const onboard = async (residentId: string) =>
    (await json(`${custody}/v1/residents`, { method: "POST", token: options.registrarToken, body: JSON.stringify({ residentId }) })).address as string;
  const tokens = new Map<string, string>();
  const login = async (residentId: string) => {
    const known = tokens.get(residentId);
    if (known) return known;
    const { code } = await json(`${custody}/v1/auth/code`, { method: "POST", body: JSON.stringify({ residentId }) });
    if (typeof code !== "string") throw new AppError("seed_failed", "the custody service does not reveal one-time codes (set CUSTODY_REVEAL_OTP=true for the demo)");
    const token = (await json(`${custody}/v1/auth/token`, { method: "POST", body: JSON.stringify({ residentId, code }) })).token as string;
    tokens.set(residentId, token);
    return token;
  };
  /** A resident's ballot through custody: their own, or with `forPrincipal` as a representative's. */
  const vote = async (residentId: string, meetingId: bigint, answers: Choice[], forPrincipal?: { voter: string; powerOfAttorney: bigint }) => {
    const token = await login(residentId);
    const body = { meetingId: meetingId.toString(), choices: packChoices(answers).toString(), ...(forPrincipal ? { voter: forPrincipal.voter, powerOfAttorney: forPrincipal.powerOfAttorney.toString() } : {}) };
    return (await json(`${custody}/v1/ballots`, { method: "POST", token, body: JSON.stringify(body) })).id as string;
  };
  /** A resident's (or an organisation's) call of the hall, signed by custody as a forward request and executed gas-free by the relayer; waits for it. */
  const forward = async (residentId: string, call: { function: string; args: Record<string, unknown> }) => {
    const token = await login(residentId);
    const requestId = (await json(`${custody}/v1/requests`, { method: "POST", token, body: JSON.stringify(call) })).id as string;
    for (let i = 0; ; i++) {
      const s = await json(`${relayer}/v1/requests/${requestId}`);
      if (s.status === "confirmed") return s;
      if (s.status === "rejected") throw new AppError("seed_failed", `demo request ${call.function} of ${residentId} was rejected: ${String(s.reason)}`);
      if (i > 600) throw new AppError("seed_failed", `demo request ${call.function} of ${residentId} was not executed in time`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const waitCounted = async (ballotIds: string[]) => {
    for (const ballotId of ballotIds) {
      for (let i = 0; ; i++) {
        const s = await json(`${relayer}/v1/ballots/${ballotId}`);
        if (s.status === "confirmed") break;
        if (s.status === "rejected") throw new AppError("seed_failed", `demo ballot ${ballotId} was rejected: ${String(s.reason)}`);
        if (i > 600) throw new AppError("seed_failed", `demo ballot ${ballotId} was not counted in time`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const latest = async () => (await provider.getBlock("latest"))!.timestamp;
  const travel = async (seconds: number) => {
    await provider.send("evm_increaseTime", [seconds]);
    await provider.send("evm_mine", []);
  };
  const mined = async (tx: Promise<{ wait(): Promise<unknown> }>) => (await tx).wait();

  say(`importing the buildings' registers through the registrar: ${REGISTER_FILES.map((f) => path.relative(PROJECT_ROOT, f)).join(", ")}`);
  for (const file of REGISTER_FILES) {
    const started = await json(`${registrarApi}/v1/imports`, { method: "POST", token: options.registrarApiToken, contentType: "text/csv; charset=utf-8", body: await readFile(file) });
    for (let i = 0; ; i++) {
      const s = await json(`${registrarApi}/v1/imports/${String(started.importId)}`, { token: options.registrarApiToken });
      if (s.status === "done") break;
      if (s.status === "failed") throw new AppError("seed_failed", `the import of ${path.basename(file)} failed: ${JSON.stringify(s.error)}`);
      if (i > 600) throw new AppError("seed_failed", `the import of ${path.basename(file)} did not finish in five minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const { buildings } = (await json(`${registrarApi}/v1/buildings`, { token: options.registrarApiToken })) as { buildings: Array<{ buildingId: string; cadastralNumber: string }> };
  type Register = { building: { address: string; cadastralNumber: string }; persons: Array<{ personId: string; name: string; address: string }>; organisations: Array<{ personId: string; role: string }> };
  const registers: Array<{ buildingId: bigint; register: Register }> = [];
  for (const cadastral of AGENDA.buildings) {
    const b = buildings.find((x) => x.cadastralNumber === cadastral);
    if (!b) throw new AppError("seed_failed", `the registrar holds no building ${cadastral} after the import`);
    const { register } = (await json(`${registrarApi}/v1/buildings/${b.buildingId}/register`, { token: options.registrarApiToken })) as { register: Register };
    registers.push({ buildingId: BigInt(b.buildingId), register });
  }
  const buildingIds = registers.map((r) => r.buildingId);
  const address = new Map<string, string>();
  const names = new Map<string, string>();
  for (const { register } of registers) for (const p of register.persons) address.set(p.personId, p.address), names.set(p.personId, p.name);
  say("onboarding the representatives, who are in no register, at the custody service");
  for (const person of REPRESENTATIVES) address.set(person, await onboard(person));
  const addr = (person: string) => {
    const a = address.get(person);
    if (!a) throw new AppError("seed_failed", `${person} is in none of the demo's registers`);
    return a;
  };
  const organisation = addr(ROLES.organisation);

  say("storing the agendas' wordings in the document store");
  for (const text of agendaTexts()) {
    const stored = await documents.put(Buffer.from(text, "utf8"), { contentType: "text/plain; charset=utf-8", name: "question.txt" });
    if (stored !== id(text)) throw new AppError("seed_failed", `the store filed "${text}" under ${stored}, not its textRef ${id(text)}`);
  }
  const attachment = await documents.put(await estimatePdf(), { contentType: "application/pdf", name: "Смета на шлагбаум.pdf" });

  const { minNotice, minWindow, maxWindow } = options.deployment.parameters;
  const party = (personId: string, role: "owner" | "management-organisation") => ({ address: addr(personId), name: names.get(personId) ?? personId, role });
  const buildingOf = (b: number) => ({ buildingId: buildingIds[b]!.toString(), address: registers[b]!.register.building.address, cadastralNumber: registers[b]!.register.building.cadastralNumber });
  /** The notice stored; its hash is the agendaRef to announce with. */
  const notice = async (n: Omit<NoticeInput, "format">) => documents.put(encodeNotice({ format: NOTICE_FORMAT, ...n }), { contentType: "application/json", name: "notice.json" });
  const questionsOf = (questions: Array<{ text: string; code: string }>) => questions.map((q) => ({ textRef: id(q.text), questionType: type(q.code) }));

  say("holding a finished annual meeting in the second building, announced by the management organisation");
  const finishedStart = (await latest()) + minNotice + 5;
  const finishedNotice = await notice({
    kind: "Meeting",
    meetingType: "Annual",
    building: buildingOf(1),
    initiator: party(ROLES.organisation, "management-organisation"),
    administrator: party(ROLES.finishedAdministrator, "owner"),
    votingStart: finishedStart,
    votingEnd: finishedStart + minWindow,
    questions: AGENDA.finished.map((q) => ({ textRef: id(q.text), type: q.code })),
    materials: [],
    paperDecisions: PAPER_DECISIONS,
  });
  await forward(ROLES.organisation, {
    function: "announceMeeting",
    args: {
      buildingId: buildingIds[1]!.toString(),
      meetingType: "Annual",
      administrator: addr(ROLES.finishedAdministrator),
      votingStart: String(finishedStart),
      votingEnd: String(finishedStart + minWindow),
      agendaRef: finishedNotice,
      questions: questionsOf(AGENDA.finished),
    },
  });
  const finished = await hall.meetingCount();
  // the administrator checks the power of attorney's document and records it, gas-free
  const recordedAt = await latest();
  await forward(ROLES.finishedAdministrator, {
    function: "recordPowerOfAttorney",
    args: {
      principal: addr(ROLES.finishedPrincipal),
      representative: addr(ROLES.finishedRepresentative),
      buildingId: buildingIds[1]!.toString(),
      meetingId: finished.toString(),
      validFrom: String(recordedAt),
      validTo: String(recordedAt + 30 * 24 * 3600),
      documentHash: id("Доверенность 77 АБ 1234567, удостоверена нотариусом г. Москвы"),
    },
  });
  const [finishedPower] = await hall.powersOfAttorney(buildingIds[1]!, addr(ROLES.finishedPrincipal), addr(ROLES.finishedRepresentative));
  await travel(minNotice + 10);
  const { For, Against, Abstain } = Choice;
  const finishedBallots = [];
  for (const [i, person] of FINISHED_OWNERS.entries()) {
    if (person === ROLES.finishedPrincipal || person === ROLES.onPaper) continue;
    finishedBallots.push(await vote(person, finished, i % 4 === 3 ? [Against, Abstain] : [For, For]));
  }
  finishedBallots.push(await vote(ROLES.finishedRepresentative, finished, [For, Against], { voter: addr(ROLES.finishedPrincipal), powerOfAttorney: finishedPower! }));
  await waitCounted(finishedBallots);
  // a paper decision handed to the administrator: the second question marked twice, so void
  await forward(ROLES.finishedAdministrator, {
    function: "enterPaperDecisions",
    args: {
      meetingId: finished.toString(),
      decisions: [{ voter: addr(ROLES.onPaper), choices: String(For), voidMask: "2", scanHash: id("скан решения собственника, кв. 20") }],
    },
  });
  await travel(minWindow + 5);
  say("waiting for the keeper to finalize the finished meeting");
  for (let i = 0; Number((await hall.getMeeting(finished)).status) !== Status.Finalized; i++) {
    if (i > 600) throw new AppError("seed_failed", `the keeper did not finalize meeting ${finished} within two minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }

  say("opening a general meeting (announced by an owner, gas-free) and a neighbours' poll (by the management organisation) in the first building");
  const openStart = (await latest()) + minNotice + 5;
  const openWindow = Math.min(maxWindow, 7 * 24 * 3600);
  const openType: MeetingTypeName = "Extraordinary";
  const openNotice = await notice({
    kind: "Meeting",
    meetingType: openType,
    building: buildingOf(0),
    initiator: party(ROLES.openInitiator, "owner"),
    administrator: party(ROLES.organisation, "management-organisation"),
    votingStart: openStart,
    votingEnd: openStart + openWindow,
    questions: AGENDA.open.map((q) => ({ textRef: id(q.text), type: q.code })),
    materials: [{ document: attachment, name: "Смета на установку автоматических ворот", questions: [1] }],
    paperDecisions: "Решения на бумаге передаются управляющей организации ООО «Уютный дом» до окончания голосования: г. Москва, ул. Профсоюзная, д. 56, офис 1, по будням с 9:00 до 18:00",
  });
  await forward(ROLES.openInitiator, {
    function: "announceMeeting",
    args: {
      buildingId: buildingIds[0]!.toString(),
      meetingType: openType,
      administrator: organisation,
      votingStart: String(openStart),
      votingEnd: String(openStart + openWindow),
      agendaRef: openNotice,
      questions: questionsOf(AGENDA.open),
    },
  });
  const open = await hall.meetingCount();
  const pollStart = (await latest()) + 15;
  const pollNotice = await notice({
    kind: "Poll",
    meetingType: "Extraordinary",
    building: buildingOf(0),
    initiator: party(ROLES.organisation, "management-organisation"),
    administrator: party(ROLES.organisation, "management-organisation"),
    votingStart: pollStart,
    votingEnd: pollStart + openWindow,
    questions: AGENDA.poll.map((q) => ({ textRef: id(q) })),
    materials: [],
  });
  await forward(ROLES.organisation, {
    function: "announcePoll",
    args: { buildingId: buildingIds[0]!.toString(), votingStart: String(pollStart), votingEnd: String(pollStart + openWindow), agendaRef: pollNotice, questionRefs: AGENDA.poll.map((q) => id(q)) },
  });
  const poll = await hall.meetingCount();
  // a power of attorney for every meeting of the building, recorded by the registrar
  const now = await latest();
  await mined(
    hallByRegistrar.recordPowerOfAttorney({
      principal: addr(ROLES.openPrincipal),
      representative: addr(ROLES.openRepresentative),
      buildingId: buildingIds[0]!,
      meetingId: 0n,
      validFrom: now,
      validTo: now + 365 * 24 * 3600,
      documentHash: id("Доверенность 77 АВ 7654321 на участие в общих собраниях"),
    }),
  );
  await travel(minNotice + 10);
  // some neighbours have voted already; ivanova.anna (the demo login) and volkova.natalia have not
  const early = [];
  for (const [i, person] of ["smirnova.olga", "kuznetsov.pavel", "popova.maria", "sokolov.dmitry", "lebedeva.elena", "kozlov.sergey", "novikova.irina"].entries()) {
    early.push(await vote(person, open, [i % 3 === 0 ? Against : For, For, i % 2 ? Abstain : For, For]));
  }
  for (const person of ["tenant.karimov", "petrov.ivan"]) early.push(await vote(person, poll, [For, Against]));
  await waitCounted(early);

  provider.destroy();
  return {
    residents: [...address.keys()],
    logins: [
      { residentId: "ivanova.anna", role: "owner in building 1, alone and jointly with her husband (has not voted yet)" },
      { residentId: ROLES.openRepresentative, role: `representative of ${ROLES.openPrincipal} in building 1 (power of attorney for all meetings)` },
      { residentId: "tenant.orlova", role: "registered resident in building 1 (polls only)" },
      { residentId: "fedorova.daria", role: "owner in building 2 (voted in the finished meeting)" },
      { residentId: ROLES.finishedAdministrator, role: "administrator of the finished meeting in building 2" },
      { residentId: ROLES.organisation, role: "the management organisation of both buildings, administrator of the open meeting" },
    ],
    meetings: { finished, open, poll },
    notices: { finished: finishedNotice, open: openNotice, poll: pollNotice },
    attachment,
  };
}
