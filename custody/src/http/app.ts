/**
 * The custodial wallet's HTTP API, version 1. It signs two kinds of typed data of this system's
 * domains, with the authenticated resident's own key, and logs every signature:
 *
 * - a `Ballot`, only for a meeting that exists, is announced and open (not about to close), with
 *   choices that answer its agenda, for a voter eligible at its snapshot — the resident, or the
 *   principal whose power of attorney names the resident — read from the chain, and signed with the
 *   meeting's close as its deadline (ballot-rules.ts);
 * - a `ForwardRequest` for one of the MeetingHall's forwardable functions, built from a structured
 *   body, only once the hall answers that it would take the call (forward-requests.ts).
 *
 * Without a chain to read (RPC_URL unset) custody signs nothing.
 *
 * Rate limits: every request counts against its client's address (the socket's, or the one the
 * trusted proxy in front — the web server — forwards for), and every resident request also against
 * the resident, whatever address it comes from. Ballots go on to the relayer with custody's own
 * credentials, so the relayer does not count every resident's ballot as one anonymous client's.
 */
import express, { type Express, type Request, type Response } from "express";
import { Signature, TypedDataEncoder, ZeroAddress, getAddress, isAddress, type TypedDataDomain } from "ethers";
import { z } from "zod";
import { ballotDigest, MAX_QUESTIONS } from "#lib/ballot.js";
import { AppError } from "#lib/errors.js";
import { FORWARD_REQUEST_TYPES, forwarderDomain } from "#lib/forward-request.js";
import { registrarCheck } from "#lib/http/auth.js";
import { jsonBody, parseBody } from "#lib/http/body.js";
import { trustedProxies } from "#lib/http/client-address.js";
import { errorHandler, notFound } from "#lib/http/errors.js";
import { rateLimit, rateLimited, tokenBuckets } from "#lib/http/rate-limit.js";
import type { TokenRevocations } from "#lib/http/revocations.js";
import { requestId } from "#lib/http/request-id.js";
import type { Logger } from "#lib/log.js";
import type { Authenticator, DemoLogin } from "../auth.js";
import type { CodeDelivery } from "../code-delivery.js";
import { checkBallot } from "../ballot-rules.js";
import type { CustodyChain } from "../chain.js";
import { buildRequest, forwardCallSchema } from "../forward-requests.js";
import { SIGNING_LOG_MAX_PAGE, type Keystore, type Resident } from "../keystore.js";
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
  /** Delivers a one-time code to the resident (code-delivery.ts). */
  deliverCode: CodeDelivery;
  /** The chain custody reads before it signs; without it, nothing is signed. */
  chain?: CustodyChain;
  /** Seconds before a meeting's close from which custody signs no ballot for it. */
  closingMarginSeconds: number;
  /** Seconds a signed forward request stays valid. */
  requestTtlSeconds: number;
  /** The most gas a forward request may carry. */
  maxRequestGas: bigint;
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
  voter: z.string().optional().describe("The resident's own address, or, with powerOfAttorney, the principal's"),
  powerOfAttorney: integer.optional().describe("The power of attorney under which the resident votes for `voter`"),
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

  // One-time-code login. The answer is the same whether or not a code was issued, and comes before
  // the code is handed on for delivery.
  app.post("/v1/auth/code", (req, res) => {
    const demo = demoOnly();
    const { residentId: id } = parseBody(codeRequestSchema, req.body);
    let code: string | undefined;
    if (keystore.find(id)) {
      code = demo.issueCode(id);
      if (code !== undefined && !deps.revealOtp) deps.deliverCode(id, code, demo.pendingUntil(id) ?? Date.now());
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

  /** The chain to check against before signing, or `no_chain`. */
  const chainToRead = () => {
    if (!deps.chain) throw new AppError("no_chain", "custody signs only what it has checked on chain, and no chain is configured (RPC_URL)");
    return deps.chain;
  };

  const signBallot = async (req: Request, res: Response) => {
    const r = await resident(req, res);
    const body = parseBody(signSchema, req.body);
    const meetingId = BigInt(body.meetingId);
    const choices = BigInt(body.choices);
    if (meetingId >= 1n << 256n) throw new AppError("value_too_large", "meetingId: exceeds uint256");
    if (!plausibleChoices(choices)) {
      throw new AppError("malformed_choices", "choices must answer each question with 1, 2 or 3");
    }
    const forPrincipal = body.powerOfAttorney !== undefined;
    let voter = r.address;
    if (forPrincipal) {
      if (body.voter === undefined || !isAddress(body.voter)) throw new AppError("invalid_request", "voter: the principal's address is required with powerOfAttorney");
      voter = getAddress(body.voter);
      if (voter === r.address) throw new AppError("invalid_request", "voter: a resident's own ballot names no power of attorney");
    } else if (body.voter !== undefined && body.voter.toLowerCase() !== r.address.toLowerCase()) {
      throw new AppError("foreign_voter", "a resident may only sign their own ballot, or a principal's with a power of attorney");
    }
    const powerOfAttorney = forPrincipal ? BigInt(body.powerOfAttorney!) : undefined;
    if (powerOfAttorney !== undefined && powerOfAttorney >= 1n << 256n) throw new AppError("value_too_large", "powerOfAttorney: exceeds uint256");
    const representative = forPrincipal ? r.address : undefined;
    const { deadline } = await checkBallot(chainToRead(), { meetingId, voter, representative, powerOfAttorney, choices }, deps.closingMarginSeconds);

    const digest = ballotDigest(deps.domain, { meetingId, voter, choices, representative: representative ?? ZeroAddress, deadline });
    const signature = keystore.signLogged(
      r.residentId,
      { kind: "ballot", voter, meetingId: meetingId.toString(), choices: choices.toString(), functionName: null, deadline: deadline.toString(), digest },
      (key) => Signature.from(key.sign(digest)).serialized,
    );
    log.info("ballot signed", { residentId: r.residentId, meetingId, ballotId: digest, representative: forPrincipal, requestId: res.locals.requestId });
    return {
      id: digest,
      ballot: {
        meetingId: meetingId.toString(),
        voter,
        choices: choices.toString(),
        deadline: deadline.toString(),
        ...(representative ? { representative, powerOfAttorney: powerOfAttorney!.toString() } : {}),
      },
      signature,
      domain: { ...deps.domain, chainId: Number(deps.domain.chainId) },
    };
  };

  /** Posts a signed payload to the relayer with custody's credentials; the relayer's answer. */
  const handToRelayer = async (res: Response, path: string, payload: unknown, signed: unknown) => {
    if (!deps.relayerUrl) throw new AppError("no_relayer", "no relayer is configured (CUSTODY_RELAYER_URL)");
    let response: globalThis.Response;
    let answer: Record<string, unknown>;
    try {
      response = await fetch(new URL(path, deps.relayerUrl), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-request-id": res.locals.requestId,
          ...(deps.relayerToken ? { authorization: `Bearer ${deps.relayerToken}` } : {}),
        },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(10_000),
        redirect: "manual",
      });
      answer = (await response.json()) as Record<string, unknown>;
    } catch (err) {
      throw new AppError("relayer_unavailable", "the relayer cannot be reached; what was signed is returned", { cause: err, details: { signed } });
    }
    if (response.status === 401 || response.status === 403) {
      log.error("the relayer refused custody's credentials (CUSTODY_RELAYER_TOKEN)", { status: response.status, requestId: res.locals.requestId });
      throw new AppError("relayer_refused", "the relayer refused custody's credentials; what was signed is returned", { details: { signed } });
    }
    const retryAfter = response.headers.get("retry-after");
    if (retryAfter !== null) res.setHeader("Retry-After", retryAfter);
    return { status: response.status, answer };
  };

  // Sign only.
  app.post("/v1/ballots/sign", async (req, res) => {
    res.json(await signBallot(req, res));
  });

  // Sign and hand to the relayer; answers with the relayer's answer.
  app.post("/v1/ballots", async (req, res) => {
    if (!deps.relayerUrl) throw new AppError("no_relayer", "no relayer is configured (CUSTODY_RELAYER_URL)");
    const signed = await signBallot(req, res);
    const { status, answer } = await handToRelayer(res, "/v1/ballots", { ...signed.ballot, signature: signed.signature, domain: signed.domain }, signed);
    res.status(status).json({ ...answer, signature: signed.signature });
  });

  const requestDomain = () => forwarderDomain(deps.domain.chainId as bigint, chainToRead().forwarderAddress);

  /** Builds the resident's forward request from a structured call, checks it with the hall, signs and logs it. */
  const signRequest = async (req: Request, res: Response) => {
    const r: Resident = await resident(req, res);
    const call = parseBody(forwardCallSchema, req.body);
    const chain = chainToRead();
    const { request, meetingId } = await buildRequest(chain, r.address, call, { ttlSeconds: deps.requestTtlSeconds, maxGas: deps.maxRequestGas });
    const domain = requestDomain();
    const digest = TypedDataEncoder.hash(domain, FORWARD_REQUEST_TYPES, request);
    const signature = keystore.signLogged(
      r.residentId,
      {
        kind: "forward_request",
        voter: r.address,
        meetingId: meetingId?.toString() ?? "",
        choices: "",
        functionName: call.function,
        deadline: request.deadline.toString(),
        digest,
      },
      (key) => Signature.from(key.sign(digest)).serialized,
    );
    log.info("forward request signed", { residentId: r.residentId, function: call.function, requestId: res.locals.requestId, forwardRequestId: digest });
    return {
      id: digest,
      request: {
        from: request.from,
        to: request.to,
        value: request.value.toString(),
        gas: request.gas.toString(),
        nonce: request.nonce.toString(),
        deadline: request.deadline.toString(),
        data: request.data,
      },
      signature,
      domain: { ...domain, chainId: Number(domain.chainId) },
    };
  };

  // Sign a forward request only.
  app.post("/v1/requests/sign", async (req, res) => {
    res.json(await signRequest(req, res));
  });

  // Sign a forward request and hand it to the relayer; answers with the relayer's answer.
  app.post("/v1/requests", async (req, res) => {
    if (!deps.relayerUrl) throw new AppError("no_relayer", "no relayer is configured (CUSTODY_RELAYER_URL)");
    const signed = await signRequest(req, res);
    const { status, answer } = await handToRelayer(res, "/v1/requests", { ...signed.request, signature: signed.signature }, signed);
    res.status(status).json({ ...answer, signature: signed.signature });
  });

  app.use(notFound);
  app.use(errorHandler(CUSTODY_STATUSES, log));
  return app;
}
