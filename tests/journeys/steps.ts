/**
 * Steps the journeys share: a service's client-credentials login and a person's device login
 * through the CLI, and a Secret Service in a CLI home.
 *
 * @module
 */
import type { MockProvider } from "../../testing.ts";
import { runCli, type RunOptions, type RunResult, spawnCli } from "../cli/helpers.ts";
import type { Home, TempHome } from "../support/home.ts";

/** What a store a login is saved in, as `--store` takes it. */
export type LoginStore = "file" | "keyring" | "redis" | "kv";

/**
 * `latchkey login --flow client_credentials` for the client `svc` of `issuer`, its API the
 * issuer itself, with the secret in the environment of this step only.
 *
 * @param home Where it runs.
 * @param issuer The provider's issuer.
 * @param secret The client secret, given as `LATCHKEY_CLIENT_SECRET`.
 * @param store The `--store`.
 * @param env The rest of the step's environment.
 * @param secrets What must appear in no output or argv.
 * @returns What the login printed.
 */
export async function serviceLogin(
  home: Home,
  issuer: string,
  secret: string,
  store: LoginStore,
  env: Record<string, string> = {},
  secrets: string[] = [secret],
): Promise<RunResult> {
  const args = ["login", "--flow", "client_credentials", "--issuer", issuer, "--client-id", "svc"];
  return await runCli(home, [...args, "--api", issuer, "--store", store], {
    env: { ...env, LATCHKEY_CLIENT_SECRET: secret },
    secrets,
  });
}

/**
 * `latchkey login` with the device flow for the mock's public client into the file store,
 * approved as the person would once the code is shown.
 *
 * @param home Where it runs.
 * @param provider The mock provider.
 * @param options More arguments, what to do before approving, and the run's options.
 * @returns What the login printed.
 */
export async function deviceLogin(
  home: Home,
  provider: MockProvider,
  options: { args?: string[]; beforeApprove?: () => Promise<void> } & RunOptions = {},
): Promise<RunResult> {
  const { args = [], beforeApprove, ...run } = options;
  const cli = spawnCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
    "--api",
    provider.issuer,
    "--store",
    "file",
    ...args,
  ], run);
  const [, code] = await cli.waitFor(/enter the code: (\S+)/);
  await beforeApprove?.();
  provider.approveDevice(code!);
  return await cli.finish();
}

/** A CLI home as tests/real's helpers take one, so a Secret Service runs in that same HOME. */
export function realHome(home: Home): TempHome {
  return {
    path: home.dir,
    configDir: `${home.config}/latchkey`,
    env: { HOME: home.dir, XDG_CONFIG_HOME: home.config },
    async [Symbol.asyncDispose]() {},
  };
}
