/**
 * Headers on every answer of the web server: the page loads scripts, styles and data from its own
 * origin only and may not be framed (clickjacking), the browser never guesses a content type, and no
 * address of the page (which may hold a ballot id in its fragment, or an authorization code in its
 * query on the way back from the identity provider) leaks in a Referer.
 *
 * With an OpenID Connect provider configured (login-config.ts), its origin, and no other, is added
 * to `connect-src` (the page reads its discovery document and keys and exchanges the code at its
 * token endpoint) and to `form-action`.
 */
import type { NextFunction, Request, Response } from "express";

/** The policy of the page; `providerOrigin` is the identity provider's origin, when there is one. */
export function contentSecurityPolicy(providerOrigin?: string): string {
  const provider = providerOrigin ? ` ${providerOrigin}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${provider}`,
    "font-src 'self'",
    "base-uri 'none'",
    `form-action 'self'${provider}`,
    "frame-ancestors 'none'",
  ].join("; ");
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** The headers of every answer, for a page whose identity provider is at `providerOrigin` (if any). */
export function securityHeadersFor(providerOrigin?: string): Readonly<Record<string, string>> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(providerOrigin),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
}

export const SECURITY_HEADERS = securityHeadersFor();

/** Express middleware setting the headers of `securityHeadersFor(providerOrigin)`. */
export function securityHeaders(providerOrigin?: string) {
  const headers = Object.entries(securityHeadersFor(providerOrigin));
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
