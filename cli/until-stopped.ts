/**
 * Waits for Ctrl-C (SIGINT) or SIGTERM: how a command that serves until stopped (`demo --serve`)
 * ends.
 */
export function untilStopped(): Promise<"SIGINT" | "SIGTERM"> {
  return new Promise((resolve) => {
    const onInt = (): void => stop("SIGINT");
    const onTerm = (): void => stop("SIGTERM");
    const stop = (signal: "SIGINT" | "SIGTERM"): void => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(signal);
    };
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}
