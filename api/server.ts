import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type ApiDeps } from './app';

/** Serves the API; `close` stops taking requests and waits for those in flight. */
export async function startApi(deps: ApiDeps, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(createApp(deps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
