/**
 * What the provider remembers: its clock, counters, and the codes and tokens it issued.
 *
 * @module
 */

import type { MockUser } from "./options.ts";
import { GRANT_TYPES } from "./config.ts";

/** Request counters of a mock provider. The object is live: it changes as requests arrive. */
export interface MockCounts {
  /** Token endpoint requests by `grant_type` (`"(none)"` when missing), answered or not. */
  token: Record<string, number>;
  /** Token endpoint responses with the error `invalid_grant`. */
  invalidGrant: number;
  /** Device authorization requests. */
  device: number;
  /** Revocation requests. */
  revoke: number;
  /** Requests to the demo API under `/api/`. */
  api: number;
  /** Requests for either discovery document. */
  discovery: number;
  /**
   * DPoP proofs refused (at the token endpoint or the demo API), and DPoP-bound tokens presented
   * without one; nonce challenges are not counted here.
   */
  dpopRefused: number;
  /** `use_dpop_nonce` challenges sent (a proof without the current nonce, where one is demanded). */
  dpopNonceChallenges: number;
}

/** One token endpoint request, as recorded in `events`. */
export interface MockEvent {
  /** When the response was sent, in milliseconds since the epoch (real clock, no skew). */
  time: number;
  /** The `grant_type`, or `"(none)"`. */
  grant: string;
  /** Whether tokens were issued. */
  ok: boolean;
  /** The HTTP status of the response. */
  status: number;
  /** The OAuth `error` code, `"http_<status>"`, or `"connection_reset"` when not ok. */
  error?: string;
}

/** The tokens issued from one sign-in: a refresh token rotates within its family. */
export interface Family {
  id: string;
  clientId: string;
  user: MockUser;
  scope: string;
  aud: string;
  authTime: number;
  revoked: boolean;
  /** The thumbprint of the DPoP key the family's refresh tokens are bound to, if any. */
  jkt?: string;
}

/** A refresh token. */
export interface RefreshRecord {
  family: Family;
  expiresAt: number;
  used: boolean;
}

/** An access token, by `jti`. */
export interface AccessRecord {
  family: Family | undefined;
  revoked: boolean;
}

/** An authorization code. */
export interface CodeRecord {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
  scope: string;
  aud: string;
  user: MockUser;
  expiresAt: number;
  used: boolean;
  family: Family | undefined;
}

/** A device authorization, by `device_code` and by `user_code`. */
export interface DeviceRecord {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  aud: string;
  expiresAt: number;
  intervalMs: number;
  lastPoll: number | undefined;
  status: "pending" | "approved" | "denied" | "done";
  user: MockUser | undefined;
}

/** Normalizes a user code as typed by a person: upper case, letters and digits only. */
export function normalizeUserCode(userCode: string): string {
  return userCode.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

/** The provider's memory. Times are on the provider clock, in milliseconds. */
export class State {
  /** The live counters. */
  readonly counts: MockCounts = {
    token: Object.fromEntries(GRANT_TYPES.map((grant) => [grant, 0])),
    invalidGrant: 0,
    device: 0,
    revoke: 0,
    api: 0,
    discovery: 0,
    dpopRefused: 0,
    dpopNonceChallenges: 0,
  };
  /** Every token request. */
  readonly events: MockEvent[] = [];
  /** Authorization codes. */
  readonly codes: Map<string, CodeRecord> = new Map();
  /** Device authorizations by device code. */
  readonly devices: Map<string, DeviceRecord> = new Map();
  /** Refresh tokens. */
  readonly refresh: Map<string, RefreshRecord> = new Map();
  /** Access tokens by `jti`. */
  readonly access: Map<string, AccessRecord> = new Map();
  /** The nonce the provider demands in DPoP proofs (where it demands one). */
  dpopNonce: string = crypto.randomUUID();
  /** Proof and client assertion `jti`s seen, with when they may be forgotten (ms). */
  #seen: Map<string, number> = new Map();
  #skewMs: number;

  /** @param clockSkew Seconds added to the real clock. */
  constructor(clockSkew: number) {
    this.#skewMs = clockSkew * 1000;
  }

  /** The provider clock, in milliseconds. */
  nowMs(): number {
    return Date.now() + this.#skewMs;
  }

  /** The provider clock, in whole seconds (for JWT claims). */
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** The device authorization with this user code, however it was typed. */
  findUserCode(userCode: string): DeviceRecord | undefined {
    const wanted = normalizeUserCode(userCode);
    for (const record of this.devices.values()) {
      if (normalizeUserCode(record.userCode) === wanted) return record;
    }
    return undefined;
  }

  /**
   * Remembers a one-time value (a DPoP proof's or client assertion's `jti`) for `ttl` seconds.
   *
   * @param key The value, prefixed by what it belongs to.
   * @param ttl How long it must stay unique, in seconds.
   * @returns `false` when it was seen before (a replay).
   */
  rememberProof(key: string, ttl: number): boolean {
    const now = this.nowMs();
    // Insertion order is expiry order (one ttl per kind, and kinds share a clock): stop at the
    // first value still remembered.
    for (const [seen, until] of this.#seen) {
      if (until > now) break;
      this.#seen.delete(seen);
    }
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, now + ttl * 1000);
    return true;
  }

  /** Revokes every refresh and access token of a family. */
  revokeFamily(family: Family): void {
    family.revoked = true;
  }

  /** Revokes every token issued so far. */
  revokeAll(): void {
    for (const record of this.refresh.values()) record.family.revoked = true;
    for (const record of this.access.values()) record.revoked = true;
  }
}
