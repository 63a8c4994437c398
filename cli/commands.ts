/**
 * The commands, loaded on demand: `latchkey token` loads only what `token`
 * needs (no OAuth library, no mock provider).
 *
 * @module
 */

import type { Command } from "./command.ts";

/** A command's name, one-line summary and loader. */
export interface CommandEntry {
  /** One line for `latchkey --help`. */
  summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

/** Every command, in the order `latchkey --help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  login: {
    summary: "sign in and save the profile and its credential",
    load: async () => (await import("./commands/login.ts")).command,
  },
  status: {
    summary: "who is logged in, from which source, until when (no secrets)",
    load: async () => (await import("./commands/status.ts")).command,
  },
  token: {
    summary: "print the access token, refreshed if needed",
    load: async () => (await import("./commands/token.ts")).command,
  },
  fetch: {
    summary: "an authenticated request to one of the profile's API origins",
    load: async () => (await import("./commands/fetch.ts")).command,
  },
  logout: {
    summary: "revoke the tokens and delete the stored credential",
    load: async () => (await import("./commands/logout.ts")).command,
  },
  refresh: {
    summary: "batch: refresh a token file, print the new token JSON",
    load: async () => (await import("./commands/refresh.ts")).command,
  },
  "save-token": {
    summary: "store a token read from stdin",
    load: async () => (await import("./commands/save_token.ts")).command,
  },
  profiles: {
    summary: "list the profiles; `profiles use NAME` switches, `profiles remove NAME` forgets",
    load: async () => (await import("./commands/profiles.ts")).command,
  },
  "mock-server": {
    summary: "run the embedded OAuth provider and demo API on loopback",
    load: async () => (await import("./commands/mock_server.ts")).command,
  },
};
