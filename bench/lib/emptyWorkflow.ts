/** A workflow that does nothing: what a Schedule's start costs the server, without the work. */
export async function emptyWorkflow(): Promise<void> {
  return undefined;
}
