import { Client, Connection } from '@temporalio/client';

/** A Temporal client for the API, the worker's activities and the scripts. */
export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}
