// Everything the page reads comes through the GraphQL API and the custody / relayer APIs, reached via
// the web server under /api/… so that the page has one origin.

export class ApiError extends Error {
  constructor(code, message, status, details) {
    super(message);
    this.code = code;
    this.status = status;
    /** What the service said beside the code (e.g. a register file's problems), if anything. */
    this.details = details;
  }
}

async function call(path, { method = "GET", body, token } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError("network", `the service cannot be reached (${err.message})`, 0);
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = payload && payload.error ? payload.error : { code: `http_${response.status}`, message: response.statusText };
    throw new ApiError(error.code, error.message, response.status, error.details);
  }
  return payload;
}

export async function graphql(query, variables = {}) {
  const payload = await call("/api/graphql", { method: "POST", body: { query, variables } });
  if (payload.errors && payload.errors.length) throw new ApiError("graphql", payload.errors.map((e) => e.message).join("; "), 200);
  return payload.data;
}

export const custody = {
  requestCode: (residentId) => call("/api/custody/v1/auth/code", { method: "POST", body: { residentId } }),
  token: (residentId, code) => call("/api/custody/v1/auth/token", { method: "POST", body: { residentId, code } }),
  me: (token) => call("/api/custody/v1/me", { token }),
  logout: (token) => call("/api/custody/v1/auth/logout", { method: "POST", token, body: {} }),
  /** A token of the signed-in resident for another service (the notifier), from custody's identity provider. */
  exchange: (token, audience) => call("/api/custody/v1/auth/exchange", { method: "POST", token, body: { audience } }),
  /** The resident's ballot, or with `forPrincipal` ({ voter, powerOfAttorney }) their principal's as representative. */
  vote: (token, meetingId, choices, forPrincipal) =>
    call("/api/custody/v1/ballots", {
      method: "POST",
      token,
      body: {
        meetingId: String(meetingId),
        choices: String(choices),
        ...(forPrincipal ? { voter: forPrincipal.voter, powerOfAttorney: String(forPrincipal.powerOfAttorney) } : {}),
      },
    }),
};

/** The signed-in resident's notices and choices at the notifier, with a token of the notifier's audience (a custody token is refused there). */
export const notifier = {
  /** The resident's in-app notices, newest first. */
  feed: async () => call("/api/notifier/v1/feed", { token: await tokenFor("digital-home-notifier") }),
  preferences: async () => call("/api/notifier/v1/me/preferences", { token: await tokenFor("digital-home-notifier") }),
  /** Saves `{ language?, optOut?: { app?, email?, sms? } }`. */
  setPreferences: async (prefs) => call("/api/notifier/v1/me/preferences", { method: "PUT", token: await tokenFor("digital-home-notifier"), body: prefs }),
};

export const relayer = {
  status: (ballotId) => call(`/api/relayer/v1/ballots/${ballotId}`),
  /** A forward request's way: queued, submitted, confirmed (txHash, blockNumber) or rejected (reason). */
  request: (requestId) => call(`/api/relayer/v1/requests/${requestId}`),
};

/**
 * A forward request custody builds from `{ function, args }`, checks with the hall, signs with the
 * resident's key and hands to the relayer, which submits it gas-free.
 */
export const requests = {
  send: (token, fn, args) => call("/api/custody/v1/requests", { method: "POST", token, body: { function: fn, args } }),
};

/** The signed-in resident's token for another service (its own audience), kept while it lasts. */
export async function tokenFor(audience) {
  const s = session.get();
  if (!s) throw new ApiError("unauthenticated", "sign in first", 401);
  const cached = s.audiences?.[audience];
  if (cached && cached.expiresAt > Date.now() / 1000 + 30) return cached.token;
  const { token, expiresIn } = await custody.exchange(s.token, audience);
  session.set({ ...s, audiences: { ...(s.audiences ?? {}), [audience]: { token, expiresAt: Date.now() / 1000 + expiresIn } } });
  return token;
}

export const documents = {
  /**
   * Stores a document (its bytes as the body) under its keccak256; the same bytes again answer the
   * same id. `query`: its name and, where the store takes them, its access and purpose.
   */
  async upload(bytes, contentType = "application/octet-stream", query = {}) {
    const token = await tokenFor("digital-home-documents");
    const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== "")).toString();
    let response;
    try {
      response = await fetch(`/api/documents/v1/documents${search ? `?${search}` : ""}`, {
        method: "PUT",
        headers: { accept: "application/json", "content-type": contentType, authorization: `Bearer ${token}` },
        body: bytes,
      });
    } catch (err) {
      throw new ApiError("network", `the service cannot be reached (${err.message})`, 0);
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = payload && payload.error ? payload.error : { code: `http_${response.status}`, message: response.statusText };
      throw new ApiError(error.code, error.message, response.status);
    }
    return payload.document;
  },
  url: (id) => `/api/documents/v1/documents/${id}`,
  meta: (id) => call(`/api/documents/v1/documents/${id}/meta`),
};

let parametersOnce;
/** The deployment's legal minimums: notice, shortest and longest window, in seconds. */
export async function parameters() {
  parametersOnce ??= call("/api/parameters");
  return parametersOnce;
}

const texts = new Map();
/**
 * A wording by its keccak256 reference (a question's textRef, a building's register reference): the
 * text document the store keeps under that hash (it re-hashes the bytes on every read), or null when
 * the store has none. A document never changes, so one read per page load; one not there yet (a
 * meeting being announced) is asked for again next time.
 */
export function documentText(ref) {
  const id = String(ref ?? "").toLowerCase();
  if (!/^0x[0-9a-f]{64}$/.test(id)) return Promise.resolve(null);
  if (!texts.has(id)) {
    const read = fetch(`/api/documents/v1/documents/${id}`, { headers: { accept: "text/plain" } })
      .then(async (r) => (r.ok && (r.headers.get("content-type") ?? "").startsWith("text/plain") ? r.text() : null))
      .catch(() => null);
    texts.set(id, read);
    read.then((text) => text === null && texts.get(id) === read && texts.delete(id));
  }
  return texts.get(id);
}

let rules;
/** The legal rules' descriptions (names, articles) by the hash a rules version is published with on chain. */
export async function rulesTexts() {
  rules ??= call("/api/rules").catch(() => ({}));
  return rules;
}

/**
 * The registrar's register import, with the registrar's access token: a CSV file planned without
 * changing anything (`plan`), then applied (`apply`) and followed (`importStatus`). Problems in the
 * file come back as `invalid_register_file` with `details.problems` (line, column, field, messages).
 */
async function registerFile(path, token, csv) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "text/csv; charset=utf-8", "accept-language": document.documentElement.lang || "ru", authorization: `Bearer ${token}` },
      body: csv,
    });
  } catch (err) {
    throw new ApiError("network", `the service cannot be reached (${err.message})`, 0);
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = payload?.error ?? { code: `http_${response.status}`, message: response.statusText };
    throw new ApiError(error.code, error.message, response.status, error.details);
  }
  return payload;
}

export const registrar = {
  plan: (token, csv) => registerFile("/api/registrar/v1/imports?dryRun=true", token, csv),
  apply: (token, csv) => registerFile("/api/registrar/v1/imports", token, csv),
  importStatus: (token, importId) => call(`/api/registrar/v1/imports/${importId}`, { token }),
  /** A meeting's owners at the snapshot whose votes are not counted yet, with their names (its administrator or initiator only). */
  notVoted: async (meetingId) => call(`/api/registrar/v1/meetings/${meetingId}/not-voted`, { token: await tokenFor("digital-home-registrar") }),
};

/** The operator and the public keys its protocols are signed with (the deployment's operator record). */
export const operator = () => call("/api/operator");

/** A meeting's protocol as the keeper lists it: its files in the document store, their signatures and keys. */
export const protocolOf = (meetingId) => call(`/api/keeper/v1/meetings/${meetingId}/protocol`);

/** Where the page downloads a document of the store. */
export const documentUrl = (id) => `/api/documents/v1/documents/${id}`;

/** A document's exact bytes. */
export async function documentBytes(id) {
  let response;
  try {
    // a restricted document (a protocol's files, a scan) is read with the signed-in resident's token for the store
    const headers = session.get() ? { authorization: `Bearer ${await tokenFor("digital-home-documents")}` } : {};
    response = await fetch(documentUrl(id), { headers });
  } catch (err) {
    throw new ApiError("network", `the service cannot be reached (${err.message})`, 0);
  }
  if (!response.ok) {
    const payload = await response.json().catch(() => null);
    const error = payload?.error ?? { code: `http_${response.status}`, message: response.statusText };
    throw new ApiError(error.code, error.message, response.status);
  }
  return new Uint8Array(await response.arrayBuffer());
}

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem("dh-session") || "null");
    } catch {
      return null;
    }
  },
  set(value) {
    sessionStorage.setItem("dh-session", JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem("dh-session");
  },
};

// ---- GraphQL queries

/** The chain's clock: the timestamp of the latest indexed block (the chain's time, not the browser's). */
export async function chainNow() {
  const data = await graphql(`{ _meta { block { number timestamp } } }`);
  return Number(data._meta.block.timestamp ?? Math.floor(Date.now() / 1000));
}

const MEETING_FIELDS = `id meetingId kind meetingType status initiator administrator rulesVersion agendaRef snapshot votingStart votingEnd
  questionCount ballotCount rejectedBallotCount discardedBallotCount participatingWeight totalWeight quorumReached announcedAt
  announcedAtBlock announcedInTransaction announcedBy finalizedAt finalizedAtBlock cancelledAt
  rules { version sourceRef quorumBase quorumNumerator quorumDenominator quorumStrict }
  building { id buildingId ref totalWeight electorateSize }`;

const BALLOT_FIELDS = `id voter representative form weight ownWeight choices voidMask answers answeredQuestions voidQuestions unansweredQuestions
  jointGroupVotes { weight group { address } } transactionHash blockNumber logIndex`;

export async function meetings() {
  const data = await graphql(`{ meetings(first: 1000, orderBy: meetingId, orderDirection: desc) { ${MEETING_FIELDS} } }`);
  return data.meetings;
}

export async function buildingsOf(address) {
  const data = await graphql(`query ($a: Bytes!) { members(first: 100, where: { account: $a }) { building { id } weight jointWeight isOwner isResident } }`, {
    a: address.toLowerCase(),
  });
  return data.members;
}

/**
 * The buildings where the account may announce: where it owns premises (alone, shared or jointly) or
 * holds an organiser's role (management organisation, HOA, Capital Repair Fund).
 */
export async function initiableBuildings(address) {
  const data = await graphql(
    `query ($a: Bytes!) { members(first: 100, where: { account: $a }) { isOwner jointWeight weight organiserRole building { id buildingId ref totalWeight } } }`,
    { a: address.toLowerCase() },
  );
  return data.members.filter((m) => m.isOwner || BigInt(m.jointWeight) > 0n || m.organiserRole !== "None");
}

/** The rules version in force (the latest published) with its question types by index. */
export async function currentRules() {
  const data = await graphql(
    `{ rulesVersions(first: 1, orderBy: version, orderDirection: desc) { version sourceRef
       questionTypes(first: 100, orderBy: index) { index code base numerator denominator strict } } }`,
  );
  return data.rulesVersions[0] ?? null;
}

/** The meeting a transaction announced, once indexed. */
export async function meetingAnnouncedIn(txHash) {
  const data = await graphql(`query ($h: Bytes!) { meetings(first: 1, where: { announcedInTransaction: $h }) { id meetingId } }`, { h: txHash.toLowerCase() });
  return data.meetings[0] ?? null;
}

/**
 * A person's standing in every building they are registered in: what they hold alone or as a
 * co-owner (their own holdings), and through each joint group they belong to (the group's holdings).
 */
export async function standingOf(address) {
  const HOLDING = "id share joint shared weight premises { id premisesId kind area ref holdingCount }";
  const data = await graphql(
    `query ($a: Bytes!) { members(first: 100, where: { account: $a }) {
       id weight jointWeight isOwner isResident organiserRole
       building { id buildingId ref totalWeight }
       holdings(first: 1000) { ${HOLDING} }
       jointGroups { address holders member { weight } holdings(first: 1000) { ${HOLDING} } } } }`,
    { a: address.toLowerCase() },
  );
  return data.members;
}

/** The ballots counted for `address` and those it cast for others as a representative, newest first. */
export async function ballotsOfPerson(address) {
  const fields = `id voter representative form weight answers transactionHash blockNumber logIndex meeting { id meetingId kind status }`;
  const data = await graphql(
    `query ($a: Bytes!) {
       own: ballots(first: 1000, orderBy: blockNumber, orderDirection: desc, where: { voter: $a }) { ${fields} }
       forOthers: ballots(first: 1000, orderBy: blockNumber, orderDirection: desc, where: { representative: $a }) { ${fields} } }`,
    { a: address.toLowerCase() },
  );
  return data;
}

export async function meeting(id) {
  const data = await graphql(
    `query ($id: ID!) { meeting(id: $id) { ${MEETING_FIELDS}
       questions(first: 64, orderBy: index) { index textRef questionType code ruleBase ruleNumerator ruleDenominator ruleStrict
         forWeight againstWeight abstainWeight voidWeight unansweredWeight participatingWeight decided passed } } }`,
    { id: String(id) },
  );
  return data.meeting;
}

export async function ballotsPage(meetingId, first, skip) {
  const data = await graphql(
    `query ($m: String!, $first: Int!, $skip: Int!) {
       ballots(first: $first, skip: $skip, orderBy: blockNumber, orderDirection: desc, where: { meeting: $m }) { ${BALLOT_FIELDS} } }`,
    { m: String(meetingId), first, skip },
  );
  return data.ballots;
}

export async function allBallots(meetingId) {
  const out = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await ballotsPage(meetingId, 1000, skip);
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

export async function rejectedBallots(meetingId) {
  const data = await graphql(
    `query ($m: String!) { rejectedBallots(first: 1000, orderBy: blockNumber, where: { meeting: $m }) {
       id voter representative signer ballotId reason transactionHash blockNumber logIndex } }`,
    { m: String(meetingId) },
  );
  return data.rejectedBallots;
}

/** The batches that carried ballots whose signatures were not their signers' (they name nobody). */
export async function discardedBatches(meetingId) {
  const data = await graphql(
    `query ($m: String!) { discardedBatches(first: 1000, orderBy: blockNumber, where: { meeting: $m }) { id count indexes transactionHash blockNumber } }`,
    { m: String(meetingId) },
  );
  return data.discardedBatches;
}

/** The paper decisions the administrator entered. */
export async function paperDecisions(meetingId) {
  const data = await graphql(
    `query ($m: String!) { paperDecisions(first: 1000, orderBy: blockNumber, where: { meeting: $m }) {
       id voter administrator voidQuestions scanHash transactionHash blockNumber logIndex } }`,
    { m: String(meetingId) },
  );
  return data.paperDecisions;
}

/** Powers of attorney naming `representative`, not revoked: whom they may vote for, where and when. */
export async function powersFor(representative) {
  const data = await graphql(
    `query ($r: Bytes!) { powerOfAttorneys(first: 100, where: { representative: $r, revoked: false }) {
       powerId principal allMeetings validFrom validTo building { id } meeting { id } } }`,
    { r: representative.toLowerCase() },
  );
  return data.powerOfAttorneys;
}

export async function ballotOf(meetingId, voter) {
  const data = await graphql(
    `query ($m: String!, $v: Bytes!) { ballots(first: 1, where: { meeting: $m, voter: $v }) { ${BALLOT_FIELDS} } }`,
    { m: String(meetingId), v: voter.toLowerCase() },
  );
  return data.ballots[0] ?? null;
}

export async function ballotsInTransaction(hash) {
  const data = await graphql(
    `query ($h: Bytes!) {
       ballots(first: 1000, where: { transactionHash: $h }) { ${BALLOT_FIELDS} meeting { id } }
       rejectedBallots(first: 1000, where: { transactionHash: $h }) { id voter representative reason transactionHash blockNumber logIndex meeting { id } } }`,
    { h: hash.toLowerCase() },
  );
  return data;
}

export async function ballotAt(hash, logIndex) {
  const data = await graphql(
    `query ($h: Bytes!, $l: BigInt!) { ballots(first: 1, where: { transactionHash: $h, logIndex: $l }) { ${BALLOT_FIELDS} meeting { id } } }`,
    { h: hash.toLowerCase(), l: String(logIndex) },
  );
  return data.ballots[0] ?? null;
}
