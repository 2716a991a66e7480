/**
 * Who the client is, for rate limits: the address of the socket, or — when that socket is one of the
 * configured trusted proxies (the web server, a load balancer) — the address the proxy says it
 * forwards for, read from X-Forwarded-For right to left past every trusted hop. An X-Forwarded-For
 * from anyone else is ignored, so a client cannot pick its own bucket by sending one.
 */
import { isIP } from "node:net";

/** An address as the rate limits compare it: lower case, IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4. */
export function normaliseAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  return mapped ? mapped[1]! : a;
}

/** The set of proxy addresses to trust, normalised. */
export function trustedProxies(addresses: readonly string[]): ReadonlySet<string> {
  return new Set(addresses.map(normaliseAddress));
}

/**
 * The client's address: the socket's, unless the socket is a trusted proxy, then the rightmost
 * address of X-Forwarded-For that is not a trusted proxy. A malformed entry stops the walk at the
 * hop that forwarded it: that hop is then the client.
 */
export function clientAddress(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: ReadonlySet<string>): string {
  let address = normaliseAddress(remoteAddress ?? "unknown");
  if (!trusted.has(address) || forwardedFor === undefined) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    if (isIP(hop) === 0) return address;
    address = normaliseAddress(hop);
    if (!trusted.has(address)) return address;
  }
  return address;
}

/** Whether a host name or address is the loopback interface only: localhost, 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  const h = normaliseAddress(host.replace(/^\[(.*)\]$/, "$1"));
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}
