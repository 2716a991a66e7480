/**
 * The demo of `npm start`: two buildings with realistic premises (flats of 30–120 m², shops, parking
 * spaces, a flat held jointly by spouses, a flat split in thirds between heirs, a flat owned by the
 * city), owners with custodial wallets, registered residents and a management organisation.
 *
 * - A finished annual meeting in the second building, announced by the management organisation with
 *   a council member in custody as its administrator: she records a power of attorney and enters a
 *   paper decision (one question marked twice) gas-free, through custody and the relayer; the
 *   representative votes for his mother; the others vote through custody; it is finalized.
 * - An open extraordinary meeting in the first building, announced gas-free by an owner in custody
 *   (a forward request through the relayer), on the seed's agenda with each question's type from the
 *   legal rules (driveway gates: land plot, art. 44 part 2 item 2; entrance door and doorkeeper:
 *   other questions; a new management company: item 4.7), the management organisation its
 *   administrator, and a representative holding a power of attorney for all meetings of the building.
 * - An open neighbours' poll in the first building.
 *
 * Owners get their keys from the custody service and vote through it, exactly as a resident does on
 * the web page.
 */
import { writeFile } from "node:fs/promises";
import { JsonRpcProvider, NonceManager, id, type Signer } from "ethers";
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";
import type { Deployment } from "#lib/deployment.js";
import { packChoices } from "#lib/ballot.js";
import { Choice, MeetingType, OrganiserRole, PremisesKind, SHARE_UNIT, type MeetingTypeName } from "#lib/domain.js";
import { RULES_VERSIONS, questionTypeIndex } from "#lib/legal-rules.js";
import { AppError } from "#lib/errors.js";

export interface SeedOptions {
  rpcUrl: string;
  deployment: Deployment;
  /** The registrar (holder of REGISTRAR_ROLE) — the deployer in the demo. */
  registrar: Signer;
  /** The management organisation, which announces the finished meeting and the poll. */
  organiser: Signer;
  custodyUrl: string;
  registrarToken: string;
  relayerUrl: string;
  /** Where the agenda texts are written (a JSON array, served to the page by hash). */
  textsFile: string;
  /**
   * How the demo's time passes (the notice period before voting, the finished meeting's window):
   * "travel" moves the embedded chain's clock (`evm_increaseTime`); "wait" waits for a real network's
   * blocks, whose timestamps no one can move. Default "travel".
   */
  clock?: "travel" | "wait";
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
}

/** The rules version the demo's deployment publishes (the newest of lib/legal-rules.ts). */
const RULES = RULES_VERSIONS.at(-1)!;
const type = (code: string) => questionTypeIndex(RULES, code);

/** Seconds of the finished meeting's window on a real network's clock, at least: the seed votes and enters a paper decision within it. */
const FINISHED_WINDOW_ON_A_REAL_CLOCK = 60;

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
  buildings: ["Москва, ул. Профсоюзная, д. 56 (кадастровый № 77:06:0004003:1056)", "Москва, Ленинский пр-т, д. 90 (кадастровый № 77:06:0002009:2090)"],
};

// First names for the demo's resident ids; the ids are logins, not personal data on chain.
const PEOPLE = ["ivanova.anna", "petrov.ivan", "smirnova.olga", "kuznetsov.pavel", "popova.maria", "sokolov.dmitry", "lebedeva.elena", "kozlov.sergey", "novikova.irina", "morozov.alexey", "volkova.natalia", "soloviev.andrey", "vasilieva.tatiana", "zaitsev.mikhail", "pavlova.svetlana", "semenov.oleg", "golubeva.yulia", "vinogradov.artem", "bogdanova.ksenia", "vorobiev.nikita", "fedorova.daria", "mikhailov.roman", "belyaeva.anastasia", "tarasov.egor"];
/** Residents who own nothing: tenants (polls only) and representatives. */
const OTHERS = ["city.housing-department", "tenant.karimov", "tenant.orlova", "tenant.nikolaev", "volkov.denis", "golubev.sergei"];

/** Who does what in the demo. */
const ROLES = {
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

async function json(url: string, init: RequestInit & { token?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
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

export async function seedDemo(options: SeedOptions): Promise<SeedResult> {
  const say = options.progress ?? (() => undefined);
  const provider = new JsonRpcProvider(options.rpcUrl, undefined, { pollingInterval: 200, cacheTimeout: -1 });
  const registrar = new NonceManager(options.registrar);
  const organiser = new NonceManager(options.organiser);
  const registry = BuildingRegistry__factory.connect(options.deployment.contracts.BuildingRegistry.address, registrar);
  const hall = MeetingHall__factory.connect(options.deployment.contracts.MeetingHall.address, organiser);
  const hallByRegistrar = MeetingHall__factory.connect(options.deployment.contracts.MeetingHall.address, registrar);
  const custody = options.custodyUrl.replace(/\/$/, "");
  const relayer = options.relayerUrl.replace(/\/$/, "");

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
  /** A resident's call of the hall, signed by custody as a forward request and executed gas-free by the relayer; waits for it. */
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
    if (options.clock === "wait") {
      const until = (await latest()) + seconds;
      for (let i = 0; (await latest()) < until; i++) {
        if (i > (seconds + 120) * 5) throw new AppError("seed_failed", `the chain's clock did not pass ${until} in ${seconds + 120} s: no blocks are sealed`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return;
    }
    await provider.send("evm_increaseTime", [seconds]);
    await provider.send("evm_mine", []);
  };
  const mined = async (tx: Promise<{ wait(): Promise<unknown> }>) => (await tx).wait();

  say("onboarding owners, residents and representatives at the custody service");
  const address = new Map<string, string>();
  for (const person of [...PEOPLE, ...OTHERS]) address.set(person, await onboard(person));
  const addr = (person: string) => address.get(person)!;

  say("registering two buildings with their premises: sole owners, spouses holding a flat jointly, heirs sharing one");
  const organiserAddress = await organiser.getAddress();
  const buildingIds: bigint[] = [];
  const sole = (person: string) => [{ holders: [addr(person)], share: SHARE_UNIT }];
  for (const [b, ref] of AGENDA.buildings.entries()) {
    await mined(registry.registerBuilding(id(ref)));
    const buildingId = await registry.buildingCount();
    buildingIds.push(buildingId);
    const flats = b === 0 ? 40 : 24;
    const owners = b === 0 ? PEOPLE.slice(0, 16) : PEOPLE.slice(16);
    const list = [];
    for (let f = 0; f < flats; f++) {
      const area = BigInt(3000 + ((f * 7919 + b * 104729) % 9001)); // 30.00–120.00 m²
      const ref_ = id(`${ref} кв. ${f + 1}`);
      if (f === 3) {
        // spouses in joint ownership (совместная): either one's ballot counts the whole flat, once
        list.push({ area, kind: PremisesKind.Residential, ref: ref_, holdings: [{ holders: [addr(owners[0]!), addr(owners[1]!)], share: SHARE_UNIT }] });
      } else if (f === 7) {
        // an inheritance split in thirds (долевая): each heir votes area × 1/3
        list.push({ area, kind: PremisesKind.Residential, ref: ref_, holdings: [2, 3, 4].map((k) => ({ holders: [addr(owners[k]!)], share: SHARE_UNIT / 3n })) });
      } else if (f === 11) {
        // a flat owned by the city; its tenant lives there and answers polls, but does not vote
        list.push({ area, kind: PremisesKind.Residential, ref: ref_, holdings: sole("city.housing-department") });
      } else {
        list.push({ area, kind: PremisesKind.Residential, ref: ref_, holdings: sole(owners[f % owners.length]!) });
      }
    }
    // a shop and a pharmacy on the ground floor, and parking spaces
    list.push({ area: 14520n, kind: PremisesKind.NonResidential, ref: id(`${ref} нежилое 1`), holdings: sole(owners[5]!) });
    list.push({ area: 8840n, kind: PremisesKind.NonResidential, ref: id(`${ref} нежилое 2`), holdings: sole(owners[6]!) });
    for (let p = 0; p < 4; p++) list.push({ area: 1500n, kind: PremisesKind.ParkingSpace, ref: id(`${ref} м/м ${p + 1}`), holdings: sole(owners[(p * 3) % owners.length]!) });
    await mined(registry.addPremises(buildingId, list));
    await mined(registry.setOrganiser(buildingId, organiserAddress, OrganiserRole.ManagementOrganisation));
  }
  await mined(registry.setResidents(buildingIds[0]!, [addr("tenant.karimov"), addr("tenant.orlova")], true));
  await mined(registry.setResidents(buildingIds[1]!, [addr("tenant.nikolaev")], true));

  const { minNotice, minWindow, maxWindow } = options.deployment.parameters;
  const agendaOf = (questions: Array<{ text: string; code: string }>) => ({
    agendaRef: id(questions.map((q) => q.text).join("\n")),
    questions: questions.map((q) => ({ textRef: id(q.text), questionType: type(q.code) })),
  });

  say("holding a finished annual meeting in the second building");
  const finishedStart = (await latest()) + minNotice + 5;
  // On a real clock the window must hold what the seed does in it: the ballots through custody and
  // the relayer, each waited for until final, and the administrator's paper decision after them.
  const finishedWindow = options.clock === "wait" ? Math.min(maxWindow, Math.max(minWindow, FINISHED_WINDOW_ON_A_REAL_CLOCK)) : minWindow;
  const finishedAgenda = agendaOf(AGENDA.finished);
  await mined(
    hall.announceMeeting(buildingIds[1]!, MeetingType.Annual, addr(ROLES.finishedAdministrator), finishedStart, finishedStart + finishedWindow, finishedAgenda.agendaRef, finishedAgenda.questions),
  );
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
  for (const [i, person] of PEOPLE.slice(16).entries()) {
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
  // past the close: the embedded chain's clock jumps; a real network's is waited for, to the close only
  await travel(options.clock === "wait" ? Math.max(0, finishedStart + finishedWindow + 1 - (await latest())) : minWindow + 5);
  await mined(hall.finalize(finished));

  say("opening a general meeting (announced by an owner, gas-free) and a neighbours' poll in the first building");
  const openStart = (await latest()) + minNotice + 5;
  const openWindow = Math.min(maxWindow, 7 * 24 * 3600);
  const openAgenda = agendaOf(AGENDA.open);
  const openType: MeetingTypeName = "Extraordinary";
  await forward(ROLES.openInitiator, {
    function: "announceMeeting",
    args: {
      buildingId: buildingIds[0]!.toString(),
      meetingType: openType,
      administrator: organiserAddress,
      votingStart: String(openStart),
      votingEnd: String(openStart + openWindow),
      agendaRef: openAgenda.agendaRef,
      questions: openAgenda.questions,
    },
  });
  const open = await hall.meetingCount();
  const pollStart = (await latest()) + 5;
  await mined(hall.announcePoll(buildingIds[0]!, pollStart, pollStart + openWindow, id(AGENDA.poll.join("\n")), AGENDA.poll.map((q) => id(q))));
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
  for (const [i, person] of PEOPLE.slice(2, 9).entries()) early.push(await vote(person, open, [i % 3 === 0 ? Against : For, For, i % 2 ? Abstain : For, For]));
  for (const person of ["tenant.karimov", "petrov.ivan"]) early.push(await vote(person, poll, [For, Against]));
  await waitCounted(early);

  await writeFile(options.textsFile, JSON.stringify([...AGENDA.open.map((q) => q.text), ...AGENDA.finished.map((q) => q.text), ...AGENDA.poll, ...AGENDA.buildings], null, 2) + "\n");
  provider.destroy();
  return {
    residents: [...address.keys()],
    logins: [
      { residentId: "ivanova.anna", role: "owner in building 1, alone and jointly with her husband (has not voted yet)" },
      { residentId: ROLES.openRepresentative, role: `representative of ${ROLES.openPrincipal} in building 1 (power of attorney for all meetings)` },
      { residentId: "tenant.orlova", role: "registered resident in building 1 (polls only)" },
      { residentId: "fedorova.daria", role: "owner in building 2 (voted in the finished meeting)" },
      { residentId: ROLES.finishedAdministrator, role: "administrator of the finished meeting in building 2" },
    ],
    meetings: { finished, open, poll },
  };
}
