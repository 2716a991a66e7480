/** Configuration is validated at start-up, every problem named with its variable and what was expected. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "#lib/errors.js";

const valid = { NOTIFIER_RPC_URL: "http://127.0.0.1:8545", NOTIFIER_REGISTRAR_TOKEN: "0123456789abcdef0123" };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
}

describe("loadConfig", () => {
  it("accepts a minimal configuration with defaults", () => {
    const c = loadConfig(valid);
    assert.equal(c.port, 8549);
    assert.equal(c.smtp, undefined);
    assert.equal(c.defaultLanguage, "ru");
  });

  it("lists every problem at once with clear messages", () => {
    assert.deepEqual(
      problems({
        NOTIFIER_REGISTRAR_TOKEN: "short",
        NOTIFIER_MAX_ATTEMPTS: "ten",
        NOTIFIER_SMTP_URL: "http://user:secret@mail",
        NOTIFIER_TIME_ZONE: "Mars/Olympus",
        NOTIFIER_DEFAULT_LANGUAGE: "de",
      }),
      [
        "NOTIFIER_RPC_URL: missing, expected an http(s) URL of a JSON-RPC node (RPC_URL is read too)",
        "NOTIFIER_REGISTRAR_TOKEN: expected at least 16 characters (the value is not shown)",
        "NOTIFIER_SMTP_URL: got 'http://user:***@mail', expected a smtp or smtps URL",
        "NOTIFIER_TIME_ZONE: got 'Mars/Olympus', expected an IANA time zone such as Europe/Moscow",
        "NOTIFIER_DEFAULT_LANGUAGE: got 'de', expected one of ru, en",
        "NOTIFIER_MAX_ATTEMPTS: got 'ten', expected a whole number 1–100",
      ],
    );
  });

  it("checks SMTP certificates, gives the notifier its own audience and a notice budget, by default", () => {
    const c = loadConfig({ ...valid, NOTIFIER_SMTP_URL: "smtps://mail.example.org" });
    assert.equal(c.smtp!.verifyTls, true);
    assert.equal(c.jwtAudience, "digital-home-notifier");
    assert.equal(c.noticeBudget, 5);
    assert.equal(c.noticeBudgetPeriodSeconds, 30 * 86_400);
    assert.deepEqual(problems({ ...valid, NOTIFIER_NOTICE_BUDGET: "many", NOTIFIER_NOTICE_BUDGET_PERIOD_SECONDS: "5" }), [
      "NOTIFIER_NOTICE_BUDGET: got 'many', expected a whole number 0–10000",
      "NOTIFIER_NOTICE_BUDGET_PERIOD_SECONDS: got '5', expected a whole number 60–31622400",
    ]);
  });

  it("takes custody's service token for one-time codes, of its own and long enough, and their limits", () => {
    const c = loadConfig(valid);
    assert.deepEqual([c.otpToken, c.otpPerResidentPerHour, c.otpPerMinute], [undefined, 10, 120]);
    assert.equal(loadConfig({ ...valid, NOTIFIER_OTP_TOKEN: "custody-otp-token-0123456789" }).otpToken, "custody-otp-token-0123456789");
    assert.deepEqual(problems({ ...valid, NOTIFIER_OTP_TOKEN: "short-one", NOTIFIER_OTP_PER_RESIDENT_PER_HOUR: "0" }), [
      "NOTIFIER_OTP_TOKEN: expected at least 16 characters (the value is not shown)",
      "NOTIFIER_OTP_PER_RESIDENT_PER_HOUR: got '0', expected a whole number 1–1000",
    ]);
    assert.deepEqual(problems({ ...valid, NOTIFIER_OTP_TOKEN: valid.NOTIFIER_REGISTRAR_TOKEN }), [
      "NOTIFIER_OTP_TOKEN: the same as NOTIFIER_REGISTRAR_TOKEN, expected a token of its own (the value is not shown)",
    ]);
  });
});
