/**
 * The demo of `npm start`: two buildings with realistic premises (flats of 30–120 m², shops, parking
 * spaces, co-owned flats, a flat owned by the city), owners with custodial wallets, registered
 * residents and a management organisation; a finished general meeting with its results, an open one
 * on the seed's agenda (driveway gates, entrance door, doorkeeper, management company) and an open
 * neighbours' poll. Owners get their keys from the custody service and vote through it, exactly as a
 * resident does on the web page.
 */
import { writeFile } from "node:fs/promises";
import { JsonRpcProvider, NonceManager, id, type Signer } from "ethers";
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";
import type { Deployment } from "#lib/deployment.js";
import { packChoices } from "#lib/ballot.js";
import { Choice, OrganiserRole, PremisesKind, SHARE_UNIT, Threshold } from "#lib/domain.js";
import { AppError } from "#lib/errors.js";

export interface SeedOptions {
  rpcUrl: string;
  deployment: Deployment;
  /** The registrar (holder of REGISTRAR_ROLE) — the deployer in the demo. */
  registrar: Signer;
  /** The management organisation, which announces the meetings. */
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

export const AGENDA = {
  open: [
    { text: "Установить автоматические ворота (шлагбаум) на въезде во двор", threshold: Threshold.TwoThirdsOfAll },
    { text: "Заменить входную дверь в подъезде № 1", threshold: Threshold.MajorityOfParticipants },
    { text: "Нанять консьержа для подъездов № 1 и 2", threshold: Threshold.MajorityOfParticipants },
    { text: "Выбрать новую управляющую организацию ООО «Уютный дом»", threshold: Threshold.MajorityOfAll },
  ],
  finished: [
    { text: "Провести текущий ремонт подъездов в 2026 году", threshold: Threshold.MajorityOfParticipants },
    { text: "Установить детскую площадку во дворе", threshold: Threshold.TwoThirdsOfAll },
  ],
  poll: ["Покрасить стены в подъезде в светло-зелёный цвет?", "Нужна ли во дворе велопарковка?"],
  buildings: ["Москва, ул. Профсоюзная, д. 56 (кадастровый № 77:06:0004003:1056)", "Москва, Ленинский пр-т, д. 90 (кадастровый № 77:06:0002009:2090)"],
};

// First names for the demo's resident ids; the ids are logins, not personal data on chain.
const PEOPLE = ["ivanova.anna", "petrov.ivan", "smirnova.olga", "kuznetsov.pavel", "popova.maria", "sokolov.dmitry", "lebedeva.elena", "kozlov.sergey", "novikova.irina", "morozov.alexey", "volkova.natalia", "soloviev.andrey", "vasilieva.tatiana", "zaitsev.mikhail", "pavlova.svetlana", "semenov.oleg", "golubeva.yulia", "vinogradov.artem", "bogdanova.ksenia", "vorobiev.nikita", "fedorova.daria", "mikhailov.roman", "belyaeva.anastasia", "tarasov.egor"];

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
  const custody = options.custodyUrl.replace(/\/$/, "");

  const onboard = async (residentId: string) =>
    (await json(`${custody}/v1/residents`, { method: "POST", token: options.registrarToken, body: JSON.stringify({ residentId }) })).address as string;
  const login = async (residentId: string) => {
    const { code } = await json(`${custody}/v1/auth/code`, { method: "POST", body: JSON.stringify({ residentId }) });
    if (typeof code !== "string") throw new AppError("seed_failed", "the custody service does not reveal one-time codes (set CUSTODY_REVEAL_OTP=true for the demo)");
    return (await json(`${custody}/v1/auth/token`, { method: "POST", body: JSON.stringify({ residentId, code }) })).token as string;
  };
  const vote = async (residentId: string, meetingId: bigint, answers: Choice[]) => {
    const token = await login(residentId);
    return (await json(`${custody}/v1/ballots`, { method: "POST", token, body: JSON.stringify({ meetingId: meetingId.toString(), choices: packChoices(answers).toString() }) })).id as string;
  };
  const waitCounted = async (ballotIds: string[]) => {
    for (const ballotId of ballotIds) {
      for (let i = 0; ; i++) {
        const s = await json(`${options.relayerUrl.replace(/\/$/, "")}/v1/ballots/${ballotId}`);
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

  say("onboarding owners and residents at the custody service");
  const address = new Map<string, string>();
  for (const person of [...PEOPLE, "city.housing-department", "tenant.karimov", "tenant.orlova", "tenant.nikolaev"]) address.set(person, await onboard(person));
  const addr = (person: string) => address.get(person)!;

  say("registering two buildings with their premises");
  const organiserAddress = await organiser.getAddress();
  const buildingIds: bigint[] = [];
  for (const [b, ref] of AGENDA.buildings.entries()) {
    await mined(registry.registerBuilding(id(ref)));
    const buildingId = await registry.buildingCount();
    buildingIds.push(buildingId);
    const flats = b === 0 ? 40 : 24;
    const owners = b === 0 ? PEOPLE.slice(0, 16) : PEOPLE.slice(16);
    const list = [];
    for (let f = 0; f < flats; f++) {
      const area = BigInt(3000 + ((f * 7919 + b * 104729) % 9001)); // 30.00–120.00 m²
      const owner = owners[f % owners.length];
      if (f === 3) {
        // spouses in shared ownership, half each
        list.push({ area, kind: PremisesKind.Residential, ref: id(`${ref} кв. ${f + 1}`), owners: [addr(owners[0]), addr(owners[1])], shares: [SHARE_UNIT / 2n, SHARE_UNIT / 2n] });
      } else if (f === 7) {
        // an inheritance split in thirds
        list.push({ area, kind: PremisesKind.Residential, ref: id(`${ref} кв. ${f + 1}`), owners: [addr(owners[2]), addr(owners[3]), addr(owners[4])], shares: [SHARE_UNIT / 3n, SHARE_UNIT / 3n, SHARE_UNIT / 3n] });
      } else if (f === 11) {
        // a flat owned by the city; its tenant lives there and answers polls, but does not vote
        list.push({ area, kind: PremisesKind.Residential, ref: id(`${ref} кв. ${f + 1}`), owners: [addr("city.housing-department")], shares: [SHARE_UNIT] });
      } else {
        list.push({ area, kind: PremisesKind.Residential, ref: id(`${ref} кв. ${f + 1}`), owners: [addr(owner)], shares: [SHARE_UNIT] });
      }
    }
    // a shop and a pharmacy on the ground floor, and parking spaces
    list.push({ area: 14520n, kind: PremisesKind.NonResidential, ref: id(`${ref} нежилое 1`), owners: [addr(owners[5])], shares: [SHARE_UNIT] });
    list.push({ area: 8840n, kind: PremisesKind.NonResidential, ref: id(`${ref} нежилое 2`), owners: [addr(owners[6])], shares: [SHARE_UNIT] });
    for (let p = 0; p < 4; p++) list.push({ area: 1500n, kind: PremisesKind.ParkingSpace, ref: id(`${ref} м/м ${p + 1}`), owners: [addr(owners[(p * 3) % owners.length])], shares: [SHARE_UNIT] });
    await mined(registry.addPremises(buildingId, list));
    await mined(registry.setOrganiser(buildingId, organiserAddress, OrganiserRole.ManagementOrganisation));
  }
  await mined(registry.setResidents(buildingIds[0], [addr("tenant.karimov"), addr("tenant.orlova")], true));
  await mined(registry.setResidents(buildingIds[1], [addr("tenant.nikolaev")], true));

  const { minNotice, minWindow, maxWindow } = options.deployment.parameters;
  const announce = async (buildingId: bigint, questions: Array<{ text: string; threshold: number }>, window: number) => {
    const now = await latest();
    const start = now + minNotice + 5;
    await mined(hall.announceMeeting(buildingId, start - 1, start, start + window, id(questions.map((q) => q.text).join("\n")), questions.map((q) => ({ textRef: id(q.text), threshold: q.threshold }))));
    return { meetingId: await hall.meetingCount(), start, end: start + window };
  };

  say("holding a finished meeting in the second building");
  const finished = await announce(buildingIds[1], AGENDA.finished, minWindow);
  await travel(minNotice + 10);
  const { For, Against, Abstain } = Choice;
  const finishedBallots = [];
  const voters2 = PEOPLE.slice(16);
  for (const [i, person] of voters2.entries()) finishedBallots.push(await vote(person, finished.meetingId, i % 4 === 3 ? [Against, Abstain] : [For, For]));
  await waitCounted(finishedBallots);
  await travel(minWindow + 5);
  await mined(hall.finalize(finished.meetingId));

  say("opening a general meeting and a neighbours' poll in the first building");
  const open = await announce(buildingIds[0], AGENDA.open, Math.min(maxWindow, 7 * 24 * 3600));
  const now = await latest();
  const pollStart = now + 5;
  await mined(hall.announcePoll(buildingIds[0], pollStart - 1, pollStart, pollStart + Math.min(maxWindow, 7 * 24 * 3600), id(AGENDA.poll.join("\n")), AGENDA.poll.map((q) => id(q))));
  const poll = await hall.meetingCount();
  await travel(minNotice + 10);
  // some neighbours have voted already; ivanova.anna (the demo login) has not
  const early = [];
  for (const [i, person] of PEOPLE.slice(2, 9).entries()) early.push(await vote(person, open.meetingId, [i % 3 === 0 ? Against : For, For, i % 2 ? Abstain : For, For]));
  for (const person of ["tenant.karimov", "petrov.ivan"]) early.push(await vote(person, poll, [For, Against]));
  await waitCounted(early);

  await writeFile(options.textsFile, JSON.stringify([...AGENDA.open.map((q) => q.text), ...AGENDA.finished.map((q) => q.text), ...AGENDA.poll, ...AGENDA.buildings], null, 2) + "\n");
  provider.destroy();
  return {
    residents: [...address.keys()],
    logins: [
      { residentId: "ivanova.anna", role: "owner in building 1 (has not voted yet)" },
      { residentId: "tenant.orlova", role: "registered resident in building 1 (polls only)" },
      { residentId: "fedorova.daria", role: "owner in building 2 (voted in the finished meeting)" },
    ],
    meetings: { finished: finished.meetingId, open: open.meetingId, poll },
  };
}
