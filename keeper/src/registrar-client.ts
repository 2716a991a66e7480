/**
 * The registrar's annex of a meeting: `GET /v1/meetings/:id/annex` with the registrar's token (the
 * shape is `annexSchema` of lib/protocol/annex.ts, documented in keeper/README.md). What it answers is
 * validated here and checked against the chain before any protocol shows it.
 */
import { AppError } from "#lib/errors.js";
import { parseAnnex, type Annex } from "#lib/protocol/annex.js";

export interface AnnexSource {
  annexOf(meetingId: bigint): Promise<Annex>;
}

export class RegistrarClient implements AnnexSource {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  async annexOf(meetingId: bigint): Promise<Annex> {
    const url = new URL(`v1/meetings/${meetingId}/annex`, this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`);
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${this.token}`, accept: "application/json" }, signal: AbortSignal.timeout(this.timeoutMs), redirect: "error" });
    } catch (err) {
      throw new AppError("registrar_unavailable", `the registrar at ${url.origin} cannot be reached: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    const body = await res.text();
    if (!res.ok) {
      throw new AppError("registrar_refused", `the registrar answered ${res.status} for the annex of meeting ${meetingId}: ${body.slice(0, 300)}`, { retryable: res.status >= 500 || res.status === 404, details: { status: res.status } });
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new AppError("annex_invalid", `the registrar's annex of meeting ${meetingId} is not JSON`, { retryable: true });
    }
    const { annex, problems } = parseAnnex(json);
    if (!annex) throw new AppError("annex_invalid", `the registrar's annex of meeting ${meetingId} is malformed: ${problems.join("; ")}`, { retryable: true, details: { problems } });
    return annex;
  }
}
