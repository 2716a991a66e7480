/**
 * The custodial wallet's HTTP API, version 1. It signs nothing but `Ballot` typed data of this
 * system's domain, only for the authenticated resident's own address, and logs every signature.
 *
 * Rate limits: every request counts against its client's address (the socket's, or the one the
 * trusted proxy in front — the web server — forwards for), and every resident request also against
 * the resident, whatever address it comes from. Ballots go on to the relayer with custody's own
 * credentials, so the relayer does not count every resident's ballot as one anonymous client's.
 */
import express, { type Express, type Request, type Response } from "express";
import { Signature, type TypedDataDomain } from "ethers";
import { z } from "zod";
import { ballotDigest, MAX_QUESTIONS } from "#lib/ballot.js";
import { AppError } from "#lib/errors.js";
import { registrarCheck } from "#lib/http/auth.js";
import { jsonBody, parseBody } from "#lib/http/body.js";
import { trustedProxies } from "#lib/http/client-address.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { rateLimit, rateLimited, tokenBuckets } from "#lib/http/rate-limit.js";
import type { TokenRevocations } from "#lib/http/revocations.js";
import { requestId } from "#lib/http/request-id.js";
import type { Logger } from "#lib/log.js";
import type { Authenticator, DemoLogin } from "../auth.js";
import { SIGNING_LOG_MAX_PAGE, type Keystore } from "../keystore.js";
import { CUSTODY_STATUSES } from "./statuses.js";

export interface CustodyAppDeps {
  keystore: Keystore;
  auth: Authenticator;
  demo?: DemoLogin;
  revealOtp: boolean;
  registrarToken: string;
  domain: TypedDataDomain;
  relayerUrl?: string;
  /** Presented to the relayer as `Authorization: Bearer …`. */
  relayerToken?: string;
  rateLimitPerMinute: number;
  residentRateLimitPerMinute: number;
  trustedProxies: readonly string[];
  revocations: TokenRevocations;
  log: Logger;
  /** Delivers a one-time code to the resident. */
  deliverCode: (residentId: string, code: string) => void;
}

const residentId = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, "expected 1–128 letters, digits or . _ : @ -");
const integer = z.union([
  z.string().regex(/^(0|[1-9]\d{0,77}|0x[0-9a-fA-F]{1,64})$/, "expected a decimal or 0x-hex integer"),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
]);
const onboardSchema = z.strictObject({ residentId });
const codeRequestSchema = z.strictObject({ residentId });
const tokenSchema = z.strictObject({ residentId, code: z.string().regex(/^\d{6}$/, "expected 6 digits") });
const exchangeSchema = z.strictObject({ audience: z.string().min(1).max(128) });
const logoutSchema = z.strictObject({});
const signSchema = z.strictObject({
  meetingId: integer,
  choices: integer,
  voter: z.string().optional(),
});
const isoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/, "expected an ISO 8601 date or time, e.g. 2025-03-01T12:00:00Z")
  .refine((s) => !Number.isNaN(Date.parse(s)), "expected a real date")
  .transform((s) => new Date(s).toISOString());
const signingLogQuery = z.strictObject({
  residentId: residentId.optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  order: z.enum(["oldest", "newest"]).optional(),
  limit: z
    .string()
    .regex(/^[1-9]\d{0,3}$/, `expected a whole number 1–${SIGNING_LOG_MAX_PAGE}`)
    .transform(Number)
    .refine((n) => n <= SIGNING_LOG_MAX_PAGE, `expected a whole number 1–${SIGNING_LOG_MAX_PAGE}`)
    .optional(),
  cursor: z.string().regex(/^(0|[1-9]\d{0,14})$/, "expected the nextCursor of a previous page").transform(Number).optional(),
});

/** Answers 1..n questions with nothing unanswered below the last and fits uint128. */
function plausibleChoices(choices: bigint): boolean {
  if (choices <= 0n || choices >> BigInt(2 * MAX_QUESTIONS) !== 0n) return false;
  for (let c = choices; c > 0n; c >>= 2n) if ((c & 3n) === 0n) return false;
  return true;
}

export function createCustodyApp(deps: CustodyAppDeps): Express {
  const { keystore, auth, log } = deps;
  const registrar = registrarCheck(deps.registrarToken);
  const perResident = tokenBuckets(deps.residentRateLimitPerMinute);
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestId);
  app.use(rateLimit(deps.rateLimitPerMinute, trustedProxies(deps.trustedProxies)));
  app.use(jsonBody(4096));

  const requireRegistrar = (req: Request) => registrar(req.get("authorization"));
  const demoOnly = () => {
    if (!deps.demo) throw new AppError("not_found", "one-time code login is off (CUSTODY_AUTH_MODE=jwt)");
    return deps.demo;
  };

  /** The onboarded resident of the bearer token, counted against the resident's own limit. */
  const resident = async (req: Request, res: Response) => {
    const id = await auth.residentOf(req.get("authorization"));
    const retryAfter = perResident(id);
    if (retryAfter > 0) {
      res.setHeader("Retry-After", String(retryAfter));
      throw rateLimited(retryAfter);
    }
    const found = keystore.find(id);
    if (!found) throw new AppError("unknown_resident", "the resident has not been onboarded");
    return found;
  };

  app.get("/.well-known/jwks.json", (_req, res) => {
    if (!auth.jwks) throw new AppError("not_found", "this custody service issues no tokens");
    res.json(auth.jwks);
  });

  app.get("/v1/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  // Registrar: onboard a resident, returning their address.
  app.post("/v1/residents", (req, res) => {
    requireRegistrar(req);
    const { residentId: id } = parseBody(onboardSchema, req.body);
    const { resident: r, created } = keystore.onboard(id);
    if (created) log.info("resident onboarded", { residentId: id, address: r.address });
    res.status(created ? 201 : 200).json(r);
  });

  // Registrar / auditor: the signing log, a page at a time.
  app.get("/v1/signing-log", (req, res) => {
    requireRegistrar(req);
    const q = parseBody(signingLogQuery, { ...req.query });
    res.json(keystore.signingLog(q));
  });

  // Demo login with one-time codes. The answer is the same whether or not a code was issued.
  app.post("/v1/auth/code", (req, res) => {
    const demo = demoOnly();
    const { residentId: id } = parseBody(codeRequestSchema, req.body);
    let code: string | undefined;
    if (keystore.find(id)) {
      code = demo.issueCode(id);
      if (code !== undefined && !deps.revealOtp) deps.deliverCode(id, code);
    }
    res.status(202).json({ sent: true, ...(deps.revealOtp && code ? { code } : {}) });
  });

  app.post("/v1/auth/token", async (req, res) => {
    const demo = demoOnly();
    const { residentId: id, code } = parseBody(tokenSchema, req.body);
    try {
      res.json(await demo.exchange(id, code));
    } catch (err) {
      if (err instanceof AppError && err.code === "too_many_attempts") {
        res.setHeader("Retry-After", String(err.details?.retryAfter ?? 60));
        log.warn("one-time code login locked", { residentId: id, retryAfter: err.details?.retryAfter });
      }
      throw err;
    }
  });

  // Demo identity provider: the logged-in resident's token for another service (the notifier).
  app.post("/v1/auth/exchange", async (req, res) => {
    const demo = demoOnly();
    const bearer = await auth.bearerOf(req.get("authorization"));
    const { audience } = parseBody(exchangeSchema, req.body);
    res.json(await demo.tokenFor(bearer, audience));
  });

  // Logout: the token is refused from now until it expires, across restarts.
  app.post("/v1/auth/logout", async (req, res) => {
    const bearer = await auth.bearerOf(req.get("authorization"));
    parseBody(logoutSchema, req.body ?? {});
    deps.revocations.revoke(bearer.tokenId, bearer.expiresAt);
    log.info("resident logged out", { residentId: bearer.subject });
    res.json({ loggedOut: true });
  });

  app.get("/v1/me", async (req, res) => {
    res.json(await resident(req, res));
  });

  const signBallot = async (req: Request, res: Response) => {
    const r = await resident(req, res);
    const body = parseBody(signSchema, req.body);
    if (body.voter !== undefined && body.voter.toLowerCase() !== r.address.toLowerCase()) {
      throw new AppError("foreign_voter", "a resident may only sign their own ballot");
    }
    const meetingId = BigInt(body.meetingId);
    const choices = BigInt(body.choices);
    if (meetingId >= 1n << 256n) throw new AppError("value_too_large", "meetingId: exceeds uint256");
    if (!plausibleChoices(choices)) {
      throw new AppError("malformed_choices", "choices must answer each question with 1, 2 or 3");
    }
    const ballot = { meetingId, voter: r.address, choices };
    const digest = ballotDigest(deps.domain, ballot);
    const signature = keystore.signLogged(
      r.residentId,
      { voter: r.address, meetingId: meetingId.toString(), choices: choices.toString(), digest },
      (key) => Signature.from(key.sign(digest)).serialized,
    );
    log.info("ballot signed", { residentId: r.residentId, meetingId, ballotId: digest, requestId: res.locals.requestId });
    return {
      id: digest,
      ballot: { meetingId: meetingId.toString(), voter: r.address, choices: choices.toString() },
      signature,
      domain: { ...deps.domain, chainId: Number(deps.domain.chainId) },
    };
  };

  // Sign only.
  app.post("/v1/ballots/sign", async (req, res) => {
    res.json(await signBallot(req, res));
  });

  // Sign and hand to the relayer; answers with the relayer's answer.
  app.post("/v1/ballots", async (req, res) => {
    if (!deps.relayerUrl) throw new AppError("no_relayer", "no relayer is configured (CUSTODY_RELAYER_URL)");
    const signed = await signBallot(req, res);
    let response: globalThis.Response;
    let answer: Record<string, unknown>;
    try {
      response = await fetch(new URL("/v1/ballots", deps.relayerUrl), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-request-id": res.locals.requestId,
          ...(deps.relayerToken ? { authorization: `Bearer ${deps.relayerToken}` } : {}),
        },
        body: JSON.stringify({ ...signed.ballot, signature: signed.signature, domain: signed.domain }),
        signal: AbortSignal.timeout(10_000),
        redirect: "manual",
      });
      answer = (await response.json()) as Record<string, unknown>;
    } catch (err) {
      throw new AppError("relayer_unavailable", "the relayer cannot be reached; the signed ballot is returned", {
        cause: err,
        details: { signed },
      });
    }
    if (response.status === 401 || response.status === 403) {
      log.error("the relayer refused custody's credentials (CUSTODY_RELAYER_TOKEN)", { status: response.status, requestId: res.locals.requestId });
      throw new AppError("relayer_refused", "the relayer refused custody's credentials; the signed ballot is returned", { details: { signed } });
    }
    const retryAfter = response.headers.get("retry-after");
    if (retryAfter !== null) res.setHeader("Retry-After", retryAfter);
    res.status(response.status).json({ ...answer, signature: signed.signature });
  });

  app.use(notFound);
  app.use(errorHandler(CUSTODY_STATUSES, log));
  return app;
}
