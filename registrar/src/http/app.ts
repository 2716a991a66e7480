/**
 * The registrar's HTTP API, version 1.
 *   registrar (the operator's token):
 *     POST /v1/imports[?dryRun=true]      a register file (text/csv): its plan, or the import started
 *     GET  /v1/imports/:id                an import's plan, progress and outcome
 *     GET  /v1/buildings                  the buildings of the register
 *     GET  /v1/buildings/:id/register     a building's canonical register and its hash, beside the chain's
 *     GET  /v1/meetings/:id/annex         the protocol's annexes: owners at the snapshot, participants
 *   the meeting's administrator or initiator (a resident's token, checked against the chain):
 *     GET  /v1/meetings/:id/not-voted     owners at the snapshot who have not voted, with names and premises
 *   anyone:
 *     GET  /v1/health
 * Errors are `{ error: { code, message, details? } }`, the status from the code (statuses.ts). A
 * register file's problems are in `details.problems`, each with its line, column, field, code,
 * params, and its message in the request's language (Accept-Language: Russian or English) and in both.
 */
import express, { type Express, type Request } from "express";
import { z } from "zod";
import { AppError } from "#lib/errors.js";
import type { BearerOf } from "#lib/http/auth.js";
import { registrarCheck } from "#lib/http/auth.js";
import { parseBody } from "#lib/http/body.js";
import { trustedProxies } from "#lib/http/client-address.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { rateLimit } from "#lib/http/rate-limit.js";
import { requestId } from "#lib/http/request-id.js";
import type { Logger } from "#lib/log.js";
import type { Importer } from "../importer.js";
import type { MeetingRegisters } from "../meetings.js";
import { describeProblem, languageOf, problemMessages, type Language } from "../messages.js";
import { RegisterFileError } from "../problems.js";
import type { RegisterStore } from "../store.js";
import { REGISTRAR_STATUSES } from "./statuses.js";

export interface RegistrarAppDeps {
  importer: Importer;
  store: RegisterStore;
  meetings: MeetingRegisters;
  /** The register hash the chain holds for a building now. */
  chainRegisterHash: (buildingId: bigint) => Promise<string>;
  apiToken: string;
  /** Residents' tokens; undefined when no identity provider is configured. */
  residentBearer?: BearerOf;
  language: Language;
  maxFileBytes: number;
  rateLimitPerMinute: number;
  trustedProxies: readonly string[];
  log: Logger;
}

const id = z.string().regex(/^[1-9]\d{0,30}$/, "expected a positive decimal id");
const importId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "expected an import id");
const personIdSchema = z.string().regex(/^[\p{L}\p{N}._:@-]{1,128}$/u, "expected a person id");
const importQuery = z.strictObject({ dryRun: z.enum(["true", "false"]).optional() });

/** A register file's problems as the API answers them. */
function fileProblems(err: RegisterFileError, language: Language): AppError {
  const problems = err.problems.map((p) => ({ ...p, message: describeProblem(p, language), messages: problemMessages(p) }));
  const more = problems.length > 1 ? (language === "ru" ? ` (и ещё ${problems.length - 1})` : ` (and ${problems.length - 1} more)`) : "";
  return new AppError("invalid_register_file", `${problems[0]!.message}${more}`, { details: { problems } });
}

export function createRegistrarApp(deps: RegistrarAppDeps): Express {
  const { importer, store, meetings, log } = deps;
  const registrar = registrarCheck(deps.apiToken);
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestId);
  app.use(rateLimit(deps.rateLimitPerMinute, trustedProxies(deps.trustedProxies)));

  const requireRegistrar = (req: Request) => registrar(req.get("authorization"));
  const languageFor = (req: Request) => languageOf(req.get("accept-language"), deps.language);

  app.get("/v1/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  // A register file: CSV only (no cross-site form can send text/csv), read as bytes so that UTF-8 is checked here.
  const csvBody = express.raw({ type: () => true, limit: deps.maxFileBytes });
  app.post(
    "/v1/imports",
    (req, _res, next) => {
      requireRegistrar(req);
      const [media, ...params] = (req.get("content-type") ?? "").split(";").map((s) => s.trim().toLowerCase());
      if (media !== "text/csv") throw new AppError("unsupported_media_type", "a register file is sent as Content-Type: text/csv");
      const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
      if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") throw new AppError("unsupported_encoding", `a register file is UTF-8, not ${charset}`);
      next();
    },
    csvBody,
    (req, res) => {
      const query = parseBody(importQuery, { ...req.query });
      const bytes = Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : new Uint8Array();
      const language = languageFor(req);
      try {
        if (query.dryRun === "true") {
          res.json({ dryRun: true, plan: importer.dryRun(bytes).plan });
          return;
        }
        const started = importer.start(bytes, "api");
        started.done.catch(() => undefined);
        res.status(202).setHeader("Location", `/v1/imports/${started.importId}`).json({ importId: started.importId, status: "running", plan: started.plan });
      } catch (err) {
        if (err instanceof RegisterFileError) throw fileProblems(err, language);
        throw err;
      }
    },
  );

  app.get("/v1/imports/:importId", (req, res) => {
    requireRegistrar(req);
    const record = store.getImport(parseBody(importId, req.params.importId));
    if (!record) throw new AppError("not_found", "no such import");
    res.json(record);
  });

  app.get("/v1/buildings", (req, res) => {
    requireRegistrar(req);
    res.json({
      buildings: store.buildings().map((b) => {
        const v = store.latestVersion(b.key);
        return {
          buildingId: b.buildingId.toString(),
          cadastralNumber: b.key,
          address: v ? (JSON.parse(v.canonical) as { building: { address: string } }).building.address : null,
          premises: store.premisesCount(b.key),
          registerHash: b.registerHash,
          version: v?.version ?? null,
          publishedAt: v ? new Date(v.blockTimestamp * 1000).toISOString() : null,
        };
      }),
    });
  });

  app.get("/v1/buildings/:buildingId/register", async (req, res) => {
    requireRegistrar(req);
    const buildingId = BigInt(parseBody(id, req.params.buildingId));
    const building = store.buildingById(buildingId);
    const version = building && store.latestVersion(building.key);
    if (!building || !version) throw new AppError("unknown_building", `no published register of building ${buildingId}`);
    const chainHash = await deps.chainRegisterHash(buildingId);
    res.json({
      buildingId: buildingId.toString(),
      version: version.version,
      registerHash: version.registerHash,
      chain: { registerHash: chainHash, matches: chainHash === version.registerHash },
      publishedInTransaction: version.txHash,
      publishedInBlock: version.blockNumber,
      publishedAt: new Date(version.blockTimestamp * 1000).toISOString(),
      canonical: version.canonical,
      register: JSON.parse(version.canonical) as unknown,
    });
  });

  app.get("/v1/meetings/:meetingId/not-voted", async (req, res) => {
    if (!deps.residentBearer) throw new AppError("auth_not_configured", "residents' sign-in is not configured (REGISTRAR_JWKS_URL)");
    const bearer = await deps.residentBearer(req.get("authorization"));
    const person = store.person(bearer.subject);
    if (!person) throw new AppError("unknown_person", "the signed-in resident is not in the register");
    const meetingId = BigInt(parseBody(id, req.params.meetingId));
    res.json(await meetings.notVoted(meetingId, person.address));
  });

  // A person's account, by their person id: what ties a resident's sign-in to the chain for the
  // platform's services (the document store's rules of restricted documents). Nothing personal.
  app.get("/v1/persons/:personId", (req, res) => {
    requireRegistrar(req);
    const personId = parseBody(personIdSchema, req.params.personId);
    const person = store.person(personId);
    if (!person) throw new AppError("not_found", `no person ${personId} in the register`);
    res.json({ personId, address: person.address });
  });

  app.get("/v1/meetings/:meetingId/annex", async (req, res) => {
    requireRegistrar(req);
    const meetingId = BigInt(parseBody(id, req.params.meetingId));
    res.json(await meetings.annex(meetingId));
  });

  app.use(notFound);
  app.use(errorHandler(REGISTRAR_STATUSES, log));
  return app;
}
