/**
 * lib/domain.ts against what it mirrors: the compiled contracts (their AST and ABI under artifacts/),
 * `MeetingHall.decides` and the quorum of `finalize` on a chain, and the subgraph's enums (the
 * AssemblyScript names of subgraph/src/enums.ts and the enums of schema.graphql). Any difference fails,
 * and so does a second definition of the share unit or of an enum's list anywhere in TypeScript.
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
  Choice,
  KINDS,
  Kind,
  ORGANISER_ROLES,
  PREMISES_KINDS,
  REJECT_CODES,
  REJECT_REASONS,
  RejectReason,
  SHARE_UNIT,
  STATUSES,
  THRESHOLDS,
  THRESHOLD_RULES,
  Threshold,
  decides,
  nameAt,
  quorumReached,
  rejectCode,
  rejectReasonOfCode,
  type ThresholdName,
} from "../domain.js";
import { DAY, announce, deployCore, ethers, networkHelpers, premisesInput } from "../../test/contracts/fixtures.js";

/** The contracts' enums, by canonical name, as lib/domain.ts lists their members. */
const ENUMS: Record<string, readonly string[]> = {
  "IMeetingHall.Kind": KINDS,
  "IMeetingHall.Threshold": THRESHOLDS,
  "IMeetingHall.Status": STATUSES,
  "IMeetingHall.RejectReason": REJECT_REASONS,
  "IBuildingRegistry.PremisesKind": PREMISES_KINDS,
  "IBuildingRegistry.OrganiserRole": ORGANISER_ROLES,
};

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
      for (const [source, name] of [["interfaces/IMeetingHall.sol", "IMeetingHall"], ["interfaces/IBuildingRegistry.sol", "IBuildingRegistry"]] as const) {
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
      for (const [source, name] of [["MeetingHall.sol", "MeetingHall"], ["BuildingRegistry.sol", "BuildingRegistry"]] as const) {
        for (const item of (await artifact(source, name)).abi) for (const e of [...enumTypes(item.inputs), ...enumTypes(item.outputs)]) used.add(e);
      }
      expect([...used].sort()).to.deep.equal(Object.keys(ENUMS).sort());
    });

    it("maps names to indexes and back", function () {
      expect(Kind.Poll).to.equal(1);
      expect(Threshold.Consultative).to.equal(4);
      expect(RejectReason.MalformedChoices).to.equal(4);
      expect(nameAt(THRESHOLDS, 2n)).to.equal("TwoThirdsOfAll");
      for (const bad of [5, -1, 1.5, Number.NaN, 5n, -1n, 2n ** 64n]) expect(nameAt(THRESHOLDS, bad), String(bad)).to.equal(undefined);
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
    it("gives each reason one distinct relayer code, and reads it back", function () {
      expect(Object.keys(REJECT_CODES)).to.deep.equal([...REJECT_REASONS]);
      const codes = Object.values(REJECT_CODES);
      expect(new Set(codes).size).to.equal(codes.length);
      for (const code of codes) expect(code).to.match(/^[a-z]+(_[a-z]+)*$/);
      REJECT_REASONS.forEach((name, i) => {
        expect(rejectCode(i)).to.equal(REJECT_CODES[name]);
        expect(rejectCode(BigInt(i))).to.equal(REJECT_CODES[name]);
        expect(rejectCode(name)).to.equal(REJECT_CODES[name]);
        expect(rejectReasonOfCode(REJECT_CODES[name])).to.equal(name);
      });
      expect(rejectCode(5)).to.equal(undefined);
      expect(rejectCode("notOpen" as never)).to.equal(undefined);
      expect(rejectReasonOfCode("already_queued")).to.equal(undefined);
    });
  });

  describe("decides and quorumReached", function () {
    this.timeout(120_000);

    it("decides every threshold as MeetingHall.decides does, at the boundaries", async function () {
      const { hall } = await deployCore();
      const big = 20_000n * SHARE_UNIT;
      const cases: Array<[ThresholdName, bigint, bigint, bigint, boolean]> = [];
      for (const total of [0n, 1n, 2n, 3n, 7n, 10n, 999n, big, 2n ** 200n + 1n]) {
        for (const participating of new Set([0n, total / 2n, total / 2n + 1n, total])) {
          const around = [0n, 1n, participating / 2n, participating / 2n + 1n, total / 2n, total / 2n + 1n, (2n * total + 2n) / 3n - 1n, (2n * total + 2n) / 3n, total - 1n, total, total + 1n];
          for (const forWeight of new Set(around.filter((f) => f >= 0n))) {
            for (const threshold of THRESHOLDS) for (const quorum of [true, false]) cases.push([threshold, forWeight, participating, total, quorum]);
          }
        }
      }
      const outcomes = { passed: 0, failed: 0 };
      for (const [threshold, forWeight, participating, total, quorum] of cases) {
        const ours = decides(threshold, forWeight, participating, total, quorum);
        const contract = await hall.decides(Threshold[threshold], forWeight, participating, total, quorum);
        expect(ours, `${threshold}(for ${forWeight}, participating ${participating}, total ${total}, quorum ${quorum})`).to.equal(contract);
        outcomes[ours ? "passed" : "failed"]++;
      }
      expect(outcomes.passed).to.be.greaterThan(100);
      expect(outcomes.failed).to.be.greaterThan(100);
    });

    it("names the boundaries of DOMAIN.md: > 50 %, ≥ 2/3, = 100 %, and no binding pass without a quorum", function () {
      expect(decides("MajorityOfParticipants", 50n, 100n, 300n, true)).to.equal(false);
      expect(decides("MajorityOfParticipants", 51n, 100n, 300n, true)).to.equal(true);
      expect(decides("MajorityOfAll", 150n, 200n, 300n, true)).to.equal(false);
      expect(decides("MajorityOfAll", 151n, 200n, 300n, true)).to.equal(true);
      expect(decides("TwoThirdsOfAll", 199n, 250n, 300n, true)).to.equal(false);
      expect(decides("TwoThirdsOfAll", 200n, 250n, 300n, true)).to.equal(true);
      expect(decides("Unanimous", 299n, 300n, 300n, true)).to.equal(false);
      expect(decides("Unanimous", 300n, 300n, 300n, true)).to.equal(true);
      expect(decides("MajorityOfParticipants", 100n, 100n, 300n, false)).to.equal(false);
      expect(decides("Consultative", 2n, 3n, 300n, false)).to.equal(true);
      expect(THRESHOLD_RULES.TwoThirdsOfAll).to.include({ base: "total", num: 2n, den: 3n, compare: ">=" });
      expect(decides("Majority" as ThresholdName, 1n, 1n, 1n, true)).to.equal(false);
      expect([quorumReached(50n, 100n), quorumReached(51n, 100n)]).to.deep.equal([false, true]);
    });

    it("reaches a quorum as finalize does: more than half of the building's weight", async function () {
      const { registry, registrar, hall, accounts } = await deployCore();
      const [a, b, c, d] = accounts;
      const outcomes: boolean[] = [];
      for (const [buildingId, areaA] of [[1n, 5000], [2n, 5001]] as const) {
        await registry.connect(registrar).registerBuilding(id(`quorum ${buildingId}`));
        const [owner, other] = buildingId === 1n ? [a!, b!] : [c!, d!];
        await registry.connect(registrar).addPremises(buildingId, [
          premisesInput({ area: areaA, owners: [owner.address], shares: [SHARE_UNIT] }),
          premisesInput({ area: 5000, owners: [other.address], shares: [SHARE_UNIT] }),
        ]);
        const meeting = await announce(hall, owner, buildingId, [{ textRef: id("q"), threshold: Threshold.MajorityOfParticipants }], { window: 7 * DAY });
        await networkHelpers.time.increaseTo(meeting.votingStart);
        await hall.connect(owner).castBallot(meeting.meetingId, BigInt(Choice.For));
        await networkHelpers.time.increaseTo(meeting.votingEnd);
        await hall.finalize(meeting.meetingId);
        const m = await hall.getMeeting(meeting.meetingId);
        expect(quorumReached(m.participatingWeight, m.totalWeight), `building ${buildingId}`).to.equal(m.quorumReached);
        outcomes.push(m.quorumReached);
      }
      expect(outcomes).to.deep.equal([false, true]); // exactly half is no quorum; one unit more is
    });
  });

  describe("against the subgraph", function () {
    it("names the enums in the mappings (subgraph/src/enums.ts) as the contracts do", async function () {
      const as = await importAssemblyScript("subgraph/src/enums.ts");
      const table: Array<[string, readonly string[]]> = [
        ["premisesKindName", PREMISES_KINDS],
        ["organiserRoleName", ORGANISER_ROLES],
        ["meetingKindName", KINDS],
        ["thresholdName", THRESHOLDS],
        ["rejectReasonName", REJECT_REASONS],
      ];
      for (const [fn, names] of table) {
        const name = as[fn] as (i: number) => string;
        expect(names.map((_, i) => name(i)), fn).to.deep.equal([...names]);
      }
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
        MeetingStatus: STATUSES.filter((s) => s !== "None"), // a meeting is stored once announced
        Threshold: [...THRESHOLDS],
        Choice: ANSWERS.filter((a) => a !== ""),
        RejectReason: [...REJECT_REASONS],
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

    it("defines SHARE_UNIT and the lists of the contracts' enums and reasons only in lib/domain.ts", async function () {
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
          if (ts.isVariableDeclaration(node) && node.initializer) {
            const init = ts.isAsExpression(node.initializer) ? node.initializer.expression : node.initializer;
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
