/**
 * lib/domain.ts against what it mirrors: the compiled contracts (their AST and ABI under artifacts/),
 * `LegalRules.meets` and the quorum and outcomes of `MeetingHall.finalize` on a chain, and the
 * subgraph's enums (the AssemblyScript names of subgraph/src/enums.ts and the enums of
 * schema.graphql). Any difference fails, and so does a second definition of the share unit, of an
 * enum's list or of the rule arithmetic anywhere in TypeScript.
 */
import { expect } from "chai";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { id } from "ethers";
import { parse, type EnumTypeDefinitionNode } from "graphql";
import ts from "typescript";
import { PROJECT_ROOT } from "../deployment.js";
import {
  ANSWERS,
  BALLOT_FORMS,
  BallotForm,
  Choice,
  KINDS,
  Kind,
  MAJORITY_OF_ALL,
  MAJORITY_OF_PARTICIPANTS,
  MEETING_TYPES,
  MeetingType,
  ORGANISER_ROLES,
  PREMISES_KINDS,
  REJECT_CODES,
  REJECT_REASONS,
  RULE_BASES,
  RejectReason,
  RuleBase,
  SHARE_UNIT,
  STATUSES,
  TWO_THIRDS_OF_ALL,
  UNANIMOUS,
  meetingOutcome,
  meets,
  nameAt,
  pollOutcome,
  quorumReached,
  rejectCode,
  rejectReasonOfCode,
  type Rule,
} from "../domain.js";
import { packChoices } from "../ballot.js";
import type { LegalRules } from "#typechain/index.js";
import { DAY, FIVE_QUESTIONS, announce, announcedPoll, deployCore, networkHelpers, premisesInput, sole } from "../../test/contracts/fixtures.js";

/** The contracts' enums, by canonical name, as lib/domain.ts lists their members. */
const ENUMS: Record<string, readonly string[]> = {
  "IMeetingHall.Kind": KINDS,
  "IMeetingHall.MeetingType": MEETING_TYPES,
  "IMeetingHall.Status": STATUSES,
  "IMeetingHall.BallotForm": BALLOT_FORMS,
  "IMeetingHall.RejectReason": REJECT_REASONS,
  "IBuildingRegistry.PremisesKind": PREMISES_KINDS,
  "IBuildingRegistry.OrganiserRole": ORGANISER_ROLES,
  "ILegalRules.Base": RULE_BASES,
};

/** The interfaces that declare the enums, and the contracts whose ABIs use them. */
const INTERFACES = [
  ["interfaces/IMeetingHall.sol", "IMeetingHall"],
  ["interfaces/IBuildingRegistry.sol", "IBuildingRegistry"],
  ["interfaces/ILegalRules.sol", "ILegalRules"],
] as const;
const CONTRACTS = [
  ["MeetingHall.sol", "MeetingHall"],
  ["BuildingRegistry.sol", "BuildingRegistry"],
  ["LegalRules.sol", "LegalRules"],
] as const;

/** A rule as `ILegalRules.Rule` carries it (the base as its index). */
const onChain = (r: Rule) => ({ base: RuleBase[r.base], numerator: r.numerator, denominator: r.denominator, strict: r.strict });

/** A rule as a contract returns it, read back into the domain's shape. */
function fromChain(r: { base: bigint; numerator: bigint; denominator: bigint; strict: boolean }): Rule {
  const base = nameAt(RULE_BASES, r.base);
  if (base === undefined) throw new Error(`rule base ${r.base} is not an ILegalRules.Base`);
  return { base, numerator: Number(r.numerator), denominator: Number(r.denominator), strict: r.strict };
}

type AstNode = { nodeType?: string; [key: string]: unknown };

function* walk(node: unknown): Generator<AstNode> {
  if (Array.isArray(node)) for (const child of node) yield* walk(child);
  else if (node && typeof node === "object") {
    yield node as AstNode;
    for (const child of Object.values(node)) yield* walk(child);
  }
}

interface Artifact {
  contractName: string;
  sourceName: string;
  inputSourceName: string;
  buildInfoId: string;
  abi: Array<{ type: string; name?: string; inputs?: AbiParam[]; outputs?: AbiParam[] }>;
}
interface AbiParam {
  internalType?: string;
  components?: AbiParam[];
}

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(path.join(PROJECT_ROOT, file), "utf8")) as T;
const artifact = (source: string, name: string) => readJson<Artifact>(`artifacts/contracts/${source}/${name}.json`);

/** The AST of a project source, from the build-info of the artifact compiled from it. */
async function astOf(a: Artifact): Promise<unknown> {
  const output = await readJson<{ output: { sources: Record<string, { ast: unknown }> } }>(`artifacts/build-info/${a.buildInfoId}.output.json`);
  const source = output.output.sources[a.inputSourceName];
  if (!source) throw new Error(`build-info ${a.buildInfoId} has no AST of ${a.inputSourceName}: run npx hardhat build`);
  return source.ast;
}

/** A constant's value from its AST declaration (`int_const 216216000`). */
function constantValue(ast: unknown, name: string): bigint {
  for (const n of walk(ast)) {
    if (n.nodeType !== "VariableDeclaration" || n.name !== name || n.constant !== true) continue;
    const typeString = ((n.value as AstNode | undefined)?.typeDescriptions as { typeString?: string } | undefined)?.typeString ?? "";
    const m = /^int_const (\d+)$/.exec(typeString);
    if (!m) throw new Error(`${name} is not an integer constant (${typeString})`);
    return BigInt(m[1]!);
  }
  throw new Error(`no constant ${name} in the AST`);
}

function enumTypes(params: AbiParam[] = []): string[] {
  return params.flatMap((p) => [...(p.internalType?.startsWith("enum ") ? [p.internalType.slice(5)] : []), ...enumTypes(p.components)]);
}

/** Imports an AssemblyScript file of plain functions and constants as JavaScript (types erased). */
async function importAssemblyScript(file: string): Promise<Record<string, unknown>> {
  const source = await readFile(path.join(PROJECT_ROOT, file), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: file });
  return import(`data:text/javascript;base64,${Buffer.from(outputText).toString("base64")}`);
}

describe("domain (lib/domain.ts)", function () {
  describe("against the compiled contracts", function () {
    let enums: Map<string, string[]>;

    before(async function () {
      enums = new Map();
      for (const [source, name] of INTERFACES) {
        for (const n of walk(await astOf(await artifact(source, name)))) {
          if (n.nodeType === "EnumDefinition") enums.set(n.canonicalName as string, (n.members as Array<{ name: string }>).map((m) => m.name));
        }
      }
    });

    it("lists every enum's members in the contract's order", function () {
      for (const [canonical, names] of Object.entries(ENUMS)) expect(names, canonical).to.deep.equal(enums.get(canonical));
    });

    it("covers every enum the interfaces declare and the contracts' ABIs use", async function () {
      expect([...enums.keys()].sort()).to.deep.equal(Object.keys(ENUMS).sort());
      const used = new Set<string>();
      for (const [source, name] of CONTRACTS) {
        for (const item of (await artifact(source, name)).abi) for (const e of [...enumTypes(item.inputs), ...enumTypes(item.outputs)]) used.add(e);
      }
      expect([...used].sort()).to.deep.equal(Object.keys(ENUMS).sort());
    });

    it("maps names to indexes and back", function () {
      expect(Kind.Poll).to.equal(1);
      expect(MeetingType.Annual).to.equal(1);
      expect(BallotForm.Paper).to.equal(2);
      expect(RuleBase.All).to.equal(1);
      expect([RejectReason.NotOpen, RejectReason.Expired, RejectReason.MalformedChoices, RejectReason.NoPowerOfAttorney]).to.deep.equal([0, 1, 4, 5]);
      expect(nameAt(REJECT_REASONS, 1n)).to.equal("Expired");
      expect(nameAt(BALLOT_FORMS, 1)).to.equal("Relayed");
      for (const bad of [6, -1, 1.5, Number.NaN, 6n, -1n, 2n ** 64n]) expect(nameAt(REJECT_REASONS, bad), String(bad)).to.equal(undefined);
      expect(nameAt(RULE_BASES, 2)).to.equal(undefined);
    });

    it("has the registry's SHARE_UNIT and the answers of BallotChoices", async function () {
      const registryAst = await astOf(await artifact("BuildingRegistry.sol", "BuildingRegistry"));
      expect(constantValue(registryAst, "SHARE_UNIT")).to.equal(SHARE_UNIT);
      const choicesAst = await astOf(await artifact("libraries/BallotChoices.sol", "BallotChoices"));
      expect({ For: constantValue(choicesAst, "FOR"), Against: constantValue(choicesAst, "AGAINST"), Abstain: constantValue(choicesAst, "ABSTAIN") }).to.deep.equal({
        For: BigInt(Choice.For),
        Against: BigInt(Choice.Against),
        Abstain: BigInt(Choice.Abstain),
      });
      for (const [name, code] of Object.entries(Choice)) expect(ANSWERS[code]).to.equal(name);
      const { registry } = await deployCore();
      expect(await registry.SHARE_UNIT()).to.equal(SHARE_UNIT);
    });
  });

  describe("reject reasons", function () {
    it("gives each contract reason and the discarded ballot one distinct relayer code", function () {
      expect(REJECT_CODES).to.deep.equal({
        NotOpen: "meeting_not_open",
        Expired: "ballot_expired",
        NotEligible: "not_eligible",
        AlreadyVoted: "already_voted",
        MalformedChoices: "malformed_choices",
        NoPowerOfAttorney: "no_power_of_attorney",
        BadSignature: "bad_signature",
      });
      expect(Object.keys(REJECT_CODES)).to.deep.equal([...REJECT_REASONS, "BadSignature"]);
      const codes = Object.values(REJECT_CODES);
      expect(new Set(codes).size).to.equal(codes.length);
      for (const code of codes) expect(code).to.match(/^[a-z]+(_[a-z]+)*$/);
    });

    it("reads a reason's code from its index or name, and the refusal from its code", function () {
      REJECT_REASONS.forEach((name, i) => {
        expect(rejectCode(i)).to.equal(REJECT_CODES[name]);
        expect(rejectCode(BigInt(i))).to.equal(REJECT_CODES[name]);
        expect(rejectCode(name)).to.equal(REJECT_CODES[name]);
        expect(rejectReasonOfCode(REJECT_CODES[name])).to.equal(name);
      });
      expect(rejectCode(6)).to.equal(undefined);
      expect(rejectCode("notOpen" as never)).to.equal(undefined);
      expect(rejectCode("toString" as never)).to.equal(undefined);
      expect(rejectReasonOfCode("already_queued")).to.equal(undefined);
    });

    it("keeps the discarded ballot's bad_signature out of the contract's reasons", function () {
      expect(REJECT_REASONS).to.not.include("BadSignature");
      expect(rejectCode("BadSignature")).to.equal("bad_signature");
      expect(rejectReasonOfCode("bad_signature")).to.equal("BadSignature");
      // no index of a BallotRejected event reads as a bad signature
      for (let i = 0; i < 8; i++) expect(rejectCode(i)).to.not.equal("bad_signature");
    });
  });

  describe("the rules' arithmetic", function () {
    this.timeout(120_000);
    let rules: LegalRules;

    before(async function () {
      ({ rules } = await deployCore());
    });

    it("names the boundaries: more than half, two thirds exactly and one unit short, unanimous", async function () {
      const cases: Array<[string, Rule, bigint, bigint, bigint, boolean]> = [
        ["half of the participants is not more than half", MAJORITY_OF_PARTICIPANTS, 50n, 100n, 300n, false],
        ["one unit more than half of the participants", MAJORITY_OF_PARTICIPANTS, 51n, 100n, 300n, true],
        ["half of all is not more than half", MAJORITY_OF_ALL, 150n, 200n, 300n, false],
        ["one unit more than half of all", MAJORITY_OF_ALL, 151n, 200n, 300n, true],
        ["two thirds of all exactly", TWO_THIRDS_OF_ALL, 200n, 300n, 300n, true],
        ["one unit short of two thirds of all", TWO_THIRDS_OF_ALL, 199n, 300n, 300n, false],
        ["one unit short of two thirds of an indivisible total", TWO_THIRDS_OF_ALL, 667n, 1000n, 1001n, false],
        ["two thirds of an indivisible total, rounded up", TWO_THIRDS_OF_ALL, 668n, 1000n, 1001n, true],
        ["all but one unit is not unanimous", UNANIMOUS, 299n, 300n, 300n, false],
        ["all votes are unanimous", UNANIMOUS, 300n, 300n, 300n, true],
      ];
      for (const [what, rule, value, participating, total, expected] of cases) {
        expect(meets(rule, value, participating, total), what).to.equal(expected);
        expect(await rules.meets(onChain(rule), value, participating, total), `LegalRules: ${what}`).to.equal(expected);
      }
    });

    it("meets every rule as LegalRules.meets does, around each boundary", async function () {
      const odd: Rule[] = [
        { base: "Participants", numerator: 2, denominator: 3, strict: false },
        { base: "All", numerator: 3, denominator: 4, strict: true },
        { base: "Participants", numerator: 1, denominator: 1, strict: false },
      ];
      const big = 20_000n * SHARE_UNIT;
      const outcomes = { met: 0, missed: 0 };
      for (const rule of [MAJORITY_OF_PARTICIPANTS, MAJORITY_OF_ALL, TWO_THIRDS_OF_ALL, UNANIMOUS, ...odd]) {
        const n = BigInt(rule.numerator);
        const d = BigInt(rule.denominator);
        for (const total of [0n, 1n, 3n, 7n, 1001n, big, 2n ** 200n + 1n]) {
          for (const participating of new Set([0n, total / 2n + 1n, total])) {
            const base = rule.base === "All" ? total : participating;
            const boundary = (n * base) / d; // the largest value with value × d ≤ n × base
            for (const value of new Set([0n, boundary - 1n, boundary, boundary + 1n, total].filter((v) => v >= 0n))) {
              const ours = meets(rule, value, participating, total);
              const contract = await rules.meets(onChain(rule), value, participating, total);
              expect(ours, `${JSON.stringify(rule)}(value ${value}, participating ${participating}, total ${total})`).to.equal(contract);
              outcomes[ours ? "met" : "missed"]++;
            }
          }
        }
      }
      expect(outcomes.met).to.be.greaterThan(50);
      expect(outcomes.missed).to.be.greaterThan(50);
    });
  });

  describe("quorumReached, meetingOutcome and pollOutcome", function () {
    this.timeout(120_000);

    it("decide a meeting as finalize does: exactly half of the building is no quorum, one unit more is", async function () {
      const { registry, registrar, hall, rules, accounts } = await deployCore();
      const [a, b, c, d] = accounts;
      // For, For, Against, For, For on: two thirds of all, other, other, more than half of all, unanimous
      const choices = packChoices([Choice.For, Choice.For, Choice.Against, Choice.For, Choice.For]);
      const seen: Array<{ quorumReached: boolean; passed: boolean[] }> = [];
      for (const [buildingId, areaA] of [[1n, 5000], [2n, 5001]] as const) {
        await registry.connect(registrar).registerBuilding(id(`quorum ${buildingId}`));
        const [owner, other] = buildingId === 1n ? [a!, b!] : [c!, d!];
        await registry.connect(registrar).addPremises(buildingId, [
          premisesInput({ area: areaA, holdings: sole(owner.address) }),
          premisesInput({ area: 5000, holdings: sole(other.address) }),
        ]);
        const meeting = await announce(hall, owner, buildingId, FIVE_QUESTIONS, { window: 7 * DAY });
        await networkHelpers.time.increaseTo(meeting.votingStart);
        await hall.connect(owner).castBallot(meeting.meetingId, choices);
        await networkHelpers.time.increaseTo(meeting.votingEnd);
        await hall.finalize(meeting.meetingId);

        const m = await hall.getMeeting(meeting.meetingId);
        const [quorumRule, questionRules] = await rules.rulesFor(m.rulesVersion, FIVE_QUESTIONS.map((q) => q.questionType));
        const results = await hall.getResults(meeting.meetingId);
        const ours = meetingOutcome(fromChain(quorumRule), questionRules.map(fromChain), results.map((t) => t.forWeight), m.participatingWeight, m.totalWeight);
        expect(quorumReached(fromChain(quorumRule), m.participatingWeight, m.totalWeight), `building ${buildingId}`).to.equal(m.quorumReached);
        expect(ours, `building ${buildingId}`).to.deep.equal({ quorumReached: m.quorumReached, passed: results.map((t) => t.passed) });
        seen.push(ours);
      }
      expect(seen).to.deep.equal([
        { quorumReached: false, passed: [false, false, false, false, false] }, // no question passes without a quorum
        { quorumReached: true, passed: [false, true, false, true, false] },
      ]);
      // nobody took part: no quorum, even under a rule that 0 of 0 would meet
      expect(quorumReached({ base: "All", numerator: 1, denominator: 2, strict: false }, 0n, 0n)).to.equal(false);
    });

    it("decide a poll as finalize does: by the answers given, the turnout only reported", async function () {
      const f = await announcedPoll(); // electorate: the five owners and resident R
      const second = await f.hall.connect(f.m).announcePoll(1, f.votingStart, f.votingEnd, id("second poll"), [id("Plant a tree?")]);
      await second.wait();
      const polls: Array<[bigint, Array<[typeof f.a, number]>]> = [
        [f.meetingId, [[f.a, Choice.For], [f.b, Choice.For], [f.r, Choice.Against]]],
        [f.meetingId + 1n, [[f.a, Choice.For], [f.b, Choice.For], [f.c, Choice.Against], [f.r, Choice.Against]]],
      ];
      await networkHelpers.time.increaseTo(f.votingStart);
      for (const [pollId, ballots] of polls) for (const [voter, answer] of ballots) await f.hall.connect(voter).castBallot(pollId, packChoices([answer as Choice]));
      await networkHelpers.time.increaseTo(f.votingEnd);
      const seen = [];
      for (const [pollId] of polls) {
        await f.hall.finalize(pollId);
        const m = await f.hall.getMeeting(pollId);
        const results = await f.hall.getResults(pollId);
        const ours = pollOutcome(results.map((t) => t.forWeight), m.participatingWeight, m.totalWeight);
        expect(ours, `poll ${pollId}`).to.deep.equal({ quorumReached: m.quorumReached, passed: results.map((t) => t.passed) });
        seen.push(ours);
      }
      expect(seen).to.deep.equal([
        { quorumReached: false, passed: [true] }, // 3 of 6 is no turnout above half; 2 For of 3 answers passes
        { quorumReached: true, passed: [false] }, // 4 of 6 is; 2 For of 4 answers is not more than half
      ]);
    });
  });

  describe("against the subgraph", function () {
    it("names the enums in the mappings (subgraph/src/enums.ts) as the contracts do", async function () {
      const as = await importAssemblyScript("subgraph/src/enums.ts");
      const table: Array<[string, readonly string[]]> = [
        ["premisesKindName", PREMISES_KINDS],
        ["organiserRoleName", ORGANISER_ROLES],
        ["meetingKindName", KINDS],
        ["meetingTypeName", MEETING_TYPES],
        ["ballotFormName", BALLOT_FORMS],
        ["rejectReasonName", REJECT_REASONS],
        ["ruleBaseName", RULE_BASES],
      ];
      for (const [fn, names] of table) {
        const name = as[fn] as ((i: number) => string) | undefined;
        expect(name, `subgraph/src/enums.ts exports ${fn}`).to.be.a("function");
        expect(names.map((_, i) => name!(i)), fn).to.deep.equal([...names]);
      }
      expect(as.thresholdName, "thresholds come from the rules table now").to.equal(undefined);
      const choiceName = as.choiceName as (c: number) => string;
      expect([Choice.For, Choice.Against, Choice.Abstain].map(choiceName)).to.deep.equal(["For", "Against", "Abstain"]);
      expect([as.CHOICE_FOR, as.CHOICE_AGAINST, as.CHOICE_ABSTAIN]).to.deep.equal([Choice.For, Choice.Against, Choice.Abstain]);
    });

    it("has the schema's enums (subgraph/schema.graphql) and sets only statuses that exist", async function () {
      const schema = parse(await readFile(path.join(PROJECT_ROOT, "subgraph", "schema.graphql"), "utf8"));
      const enums = Object.fromEntries(
        schema.definitions.filter((d): d is EnumTypeDefinitionNode => d.kind === "EnumTypeDefinition").map((d) => [d.name.value, (d.values ?? []).map((v) => v.name.value)]),
      );
      expect(enums).to.deep.equal({
        PremisesKind: [...PREMISES_KINDS],
        OrganiserRole: [...ORGANISER_ROLES],
        MeetingKind: [...KINDS],
        MeetingType: [...MEETING_TYPES],
        MeetingStatus: STATUSES.filter((s) => s !== "None"), // a meeting is stored once announced
        BallotForm: [...BALLOT_FORMS],
        Choice: ANSWERS.filter((a) => a !== ""),
        RejectReason: [...REJECT_REASONS],
        RuleBase: [...RULE_BASES],
      });
      const mappings = await readFile(path.join(PROJECT_ROOT, "subgraph", "src", "meeting-hall.ts"), "utf8");
      const set = [...mappings.matchAll(/\.status = "(\w+)"/g)].map((m) => m[1]);
      expect(set.sort()).to.deep.equal(["Announced", "Cancelled", "Finalized"]);
    });
  });

  describe("defined once", function () {
    /** TypeScript and the page's JavaScript, without dependencies, generated code and the built copy of this module. */
    async function sources(): Promise<string[]> {
      const dirs = ["lib", "dev", "scripts", "test", "relayer", "custody", "notifier", "query-node", "audit", "web", "subgraph/scripts", "hardhat.config.ts"];
      const skip = /(^|\/)(node_modules|dist|build|generated)\/|^web\/public\/lib\//;
      const files: string[] = [];
      for (const dir of dirs) {
        if (dir.endsWith(".ts")) files.push(dir);
        else for (const f of (await readdir(path.join(PROJECT_ROOT, dir), { recursive: true })) as string[]) files.push(`${dir}/${f}`);
      }
      return files.filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts") && !skip.test(f) && f !== "lib/domain.ts");
    }

    /** The functions of the rule arithmetic, which only lib/domain.ts may define. */
    const RULE_MATH = new Set(["meets", "quorumReached", "meetingOutcome", "pollOutcome", "decides"]);

    it("defines SHARE_UNIT, the lists of the contracts' enums and reasons, and the rule arithmetic only in lib/domain.ts", async function () {
      const lists = [...Object.values(ENUMS), Object.values(REJECT_CODES), ANSWERS.filter((a) => a !== "")].map((l) => new Set<string>(l));
      const found: string[] = [];
      for (const file of await sources()) {
        const text = await readFile(path.join(PROJECT_ROOT, file), "utf8");
        const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
        const at = (node: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const visit = (node: ts.Node): void => {
          if (ts.isNumericLiteral(node) && node.text === SHARE_UNIT.toString()) found.push(`${at(node)} the value of SHARE_UNIT`);
          if (ts.isBigIntLiteral(node) && node.text === `${SHARE_UNIT}n`) found.push(`${at(node)} the value of SHARE_UNIT`);
          if ((ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node)) && node.name.getText(sf) === "SHARE_UNIT") found.push(`${at(node)} SHARE_UNIT`);
          if (ts.isEnumDeclaration(node) && Object.keys(ENUMS).some((e) => e.endsWith(`.${node.name.text}`))) found.push(`${at(node)} enum ${node.name.text}`);
          if (ts.isFunctionDeclaration(node) && node.name && RULE_MATH.has(node.name.text)) found.push(`${at(node)} function ${node.name.text}`);
          if (ts.isVariableDeclaration(node) && node.initializer) {
            const init = ts.isAsExpression(node.initializer) ? node.initializer.expression : node.initializer;
            if ((ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && RULE_MATH.has(node.name.getText(sf))) found.push(`${at(node)} function ${node.name.getText(sf)}`);
            if (ts.isArrayLiteralExpression(init)) {
              const strings = init.elements.filter(ts.isStringLiteral).map((s) => s.text);
              if (strings.length >= 2 && lists.some((l) => strings.filter((s) => l.has(s)).length >= 2)) found.push(`${at(node)} a list of ${strings.join(", ")}`);
            }
          }
          ts.forEachChild(node, visit);
        };
        visit(sf);
      }
      expect(found, "import them from lib/domain.ts (#lib/domain.js; the page: ./lib/domain.js)").to.deep.equal([]);
    });
  });
});
