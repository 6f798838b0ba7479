/** Polls `check` until it holds; the generous deadline only turns a hang into a clear failure. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  deadline = 20_000,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
