/**
 * Reading a service's configuration from the environment: every value is checked, and every problem
 * is collected with a message that names the variable and what was expected
 * ("RELAYER_BATCH_SIZE: got 'ten', expected a whole number 1–500"), so start-up reports them all at once.
 */
import { isIP } from "node:net";

export type Env = Record<string, string | undefined>;

export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  }

  string(name: string, fallback?: string): string {
    const v = this.raw(name) ?? fallback;
    if (v === undefined) {
      this.problems.push(`${name}: missing, expected a value`);
      return "";
    }
    return v;
  }

  whole(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name}: got '${v}', expected a whole number ${min}–${max}`);
      return fallback;
    }
    return Number(v);
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (v === "true" || v === "1") return true;
    if (v === "false" || v === "0") return false;
    this.problems.push(`${name}: got '${v}', expected true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name}: got '${v}', expected one of ${allowed.join(", ")}`);
      return fallback;
    }
    return v as T;
  }

  /** A URL with one of `schemes` (default http and https); a password in it is hidden in messages. */
  url(name: string, schemes: readonly string[] = ["http", "https"], fallback?: string): string | undefined {
    const v = this.raw(name) ?? fallback;
    if (v === undefined) return undefined;
    const scheme = URL.canParse(v) ? new URL(v).protocol.slice(0, -1) : undefined;
    if (scheme !== undefined && schemes.includes(scheme)) return v;
    const expected = schemes.length === 2 && schemes.includes("http") && schemes.includes("https") ? "an http(s)" : `a ${schemes.join(" or ")}`;
    this.problems.push(`${name}: got '${redactUrl(v)}', expected ${expected} URL`);
    return undefined;
  }

  /** A comma-separated list of IP addresses (IPv4 or IPv6), empty when unset. */
  addresses(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const list = v.split(",").map((a) => a.trim()).filter((a) => a.length > 0);
    const bad = list.find((a) => isIP(a) === 0);
    if (bad !== undefined) this.problems.push(`${name}: got '${bad}', expected comma-separated IP addresses such as 127.0.0.1,::1`);
    return list.filter((a) => isIP(a) !== 0);
  }

  /** An optional secret of at least `min` characters; its value is never shown in a message. */
  secret(name: string, min: number): string | undefined {
    const v = this.raw(name);
    if (v !== undefined && v.length < min) {
      this.problems.push(`${name}: expected at least ${min} characters (the value is not shown)`);
      return undefined;
    }
    return v;
  }

  host(name: string, fallback: string): string {
    const v = this.raw(name) ?? fallback;
    if (!/^[A-Za-z0-9.:-]+$/.test(v)) this.problems.push(`${name}: got '${v}', expected a host name or IP address`);
    return v;
  }
}

/** Hides a URL's password in messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
}
