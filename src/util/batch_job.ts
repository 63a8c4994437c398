/**
 * The environment variables that mark a batch job or a hosted kernel, where
 * no person is at hand to log in: the list freva-client checks, and the CLI's
 * `--allow-env` grants.
 *
 * @module
 */

/**
 * Variables whose presence marks a batch job (Slurm, PBS, SGE, LSF, OAR,
 * Kubernetes, freva's own marker, JupyterHub), in freva-client's order.
 *
 * @example
 * ```ts
 * import { BATCH_JOB_VARIABLES } from "./batch_job.ts";
 * if (!BATCH_JOB_VARIABLES.includes("SLURM_JOB_ID")) throw new Error("Slurm marks a batch job");
 * ```
 */
export const BATCH_JOB_VARIABLES: readonly string[] = [
  "SLURM_JOB_ID",
  "PBS_JOBID",
  "JOB_ID",
  "LSB_JOBID",
  "OAR_JOB_ID",
  "KUBERNETES_SERVICE_HOST",
  "FREVA_BATCH_JOB",
  "JUPYTERHUB_USER",
];
