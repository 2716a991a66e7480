/**
 * The custodial wallet's HTTP API, version 1. It signs nothing but `Ballot` typed data of this
 * system's domain, only for the authenticated resident's own address, and logs every signature.
 */
import express, { type Express, type Request } from "express";
import { Signature, type TypedDataDomain } from "ethers";
import { z } from "zod";
import { ballotDigest, MAX_QUESTIONS } from "#lib/ballot.js";
import { AppError } from "#lib/errors.js";
import { registrarCheck } from "#lib/http/auth.js";
import { jsonBody, parseBody } from "#lib/http/body.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { rateLimit } from "#lib/http/rate-limit.js";
import { requestId } from "#lib/http/request-id.js";
import type { Logger } from "#lib/log.js";
import type { Authenticator, DemoLogin } from "../auth.js";
import type { Keystore } from "../keystore.js";
import { CUSTODY_STATUSES } from "./statuses.js";

export interface CustodyAppDeps {
  keystore: Keystore;
  auth: Authenticator;
  demo?: DemoLogin;
  revealOtp: boolean;
  registrarToken: string;
  domain: TypedDataDomain;
  relayerUrl?: string;
  rateLimitPerMinute: number;
  log: Logger;
  /** Delivers a one-time code to the resident (demo: the log). */
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
const signSchema = z.strictObject({
  meetingId: integer,
  choices: integer,
  voter: z.string().optional(),
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
  const app = express();
  app.disable("x-powered-by");
  app.use(requestId);
  app.use(rateLimit(deps.rateLimitPerMinute));
  app.use(jsonBody(4096));

  const requireRegistrar = (req: Request) => registrar(req.get("authorization"));

  const resident = async (req: Request) => {
    const id = await auth.residentOf(req.get("authorization"));
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

  // Registrar / auditor: the signing log.
  app.get("/v1/signing-log", (req, res) => {
    requireRegistrar(req);
    const id = typeof req.query.residentId === "string" ? req.query.residentId : undefined;
    res.json({ entries: keystore.signingLog(id) });
  });

  // Demo login with one-time codes.
  app.post("/v1/auth/code", (req, res) => {
    if (!deps.demo) throw new AppError("not_found", "one-time code login is off (CUSTODY_AUTH_MODE=jwt)");
    const { residentId: id } = parseBody(codeRequestSchema, req.body);
    let code: string | undefined;
    if (keystore.find(id)) {
      code = deps.demo.issueCode(id);
      if (!deps.revealOtp) deps.deliverCode(id, code);
    }
    res.status(202).json({ sent: true, ...(deps.revealOtp && code ? { code } : {}) });
  });

  app.post("/v1/auth/token", async (req, res) => {
    if (!deps.demo) throw new AppError("not_found", "one-time code login is off (CUSTODY_AUTH_MODE=jwt)");
    const { residentId: id, code } = parseBody(tokenSchema, req.body);
    res.json(await deps.demo.exchange(id, code));
  });

  app.get("/v1/me", async (req, res) => {
    res.json(await resident(req));
  });

  const signBallot = async (req: Request) => {
    const r = await resident(req);
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
    log.info("ballot signed", { residentId: r.residentId, meetingId, ballotId: digest, requestId: req.res?.locals.requestId });
    return {
      id: digest,
      ballot: { meetingId: meetingId.toString(), voter: r.address, choices: choices.toString() },
      signature,
      domain: { ...deps.domain, chainId: Number(deps.domain.chainId) },
    };
  };

  // Sign only.
  app.post("/v1/ballots/sign", async (req, res) => {
    res.json(await signBallot(req));
  });

  // Sign and hand to the relayer; answers with the relayer's answer.
  app.post("/v1/ballots", async (req, res) => {
    if (!deps.relayerUrl) throw new AppError("no_relayer", "no relayer is configured (CUSTODY_RELAYER_URL)");
    const signed = await signBallot(req);
    let response: Response;
    try {
      response = await fetch(new URL("/v1/ballots", deps.relayerUrl), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...signed.ballot, signature: signed.signature, domain: signed.domain }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new AppError("relayer_unavailable", "the relayer cannot be reached; the signed ballot is returned", {
        cause: err,
        details: { signed },
      });
    }
    const answer = (await response.json()) as Record<string, unknown>;
    res.status(response.status).json({ ...answer, signature: signed.signature });
  });

  app.use(notFound);
  app.use(errorHandler(CUSTODY_STATUSES, log));
  return app;
}
