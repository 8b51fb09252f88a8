/**
 * What a function is built from, as Powertools builds handlers: its configuration, its AWS clients and a clock.
 * Each function's handler.ts exports `makeHandler(parts)`; its index.ts, the bundle's entry, exports
 * `makeHandler(fromEnvironment(...))`, so configuration is validated at a cold start and fails it loudly, while
 * tests build the handler from their own parts without touching the environment.
 */
import { type ClientFactory, type ClientName, type Clients, createCognito, createDynamo, createRekognition, createS3 } from './aws-clients';
import { type Config, loadClientSettings, loadConfig, loadUserPoolId } from './config';
import type { Store } from './store';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Parts<C extends ClientName = ClientName> {
  config: Config;
  clients: Pick<Clients, C>;
  clock: Clock;
}

/** What the steps of a handler use: its configuration and clients, and the table behind them. */
export interface Deps<C extends ClientName = ClientName> {
  config: Config;
  clients: Pick<Clients, C>;
  store: Store;
}

/** What the steps that use only the table take. */
export type TableDeps = Pick<Deps, 'config' | 'store'>;

type Env = Record<string, string | undefined>;
export type ClientFactories<C extends ClientName> = { [K in C]: ClientFactory<K> };

/**
 * The clients `factories` make, with the settings of the environment (timeouts, attempts, path style), validated
 * now. Each client is made on first use, once: making them all at import would slow every cold start's import.
 */
export function clientsFromEnvironment<C extends ClientName>(factories: ClientFactories<C>, env: Env = process.env): Pick<Clients, C> {
  const settings = loadClientSettings(env);
  const clients = {} as Pick<Clients, C>;
  for (const [name, create] of Object.entries<ClientFactory<C>>(factories)) {
    let client: Clients[C] | undefined;
    Object.defineProperty(clients, name, { enumerable: true, get: () => (client ??= create(settings)) });
  }
  return clients;
}

/** The container's parts: its validated configuration (a bad value throws), the clients it needs, the system clock. */
export function fromEnvironment<C extends ClientName>(factories: ClientFactories<C>, env: Env = process.env): Parts<C> {
  return { config: loadConfig(env), clients: clientsFromEnvironment(factories, env), clock: systemClock };
}

/** The parts of the functions that manage users (account API, sweep): they know the pool, which triggers cannot. */
export type UserPoolParts = Parts<'dynamo' | 'rekognition' | 's3' | 'cognito'> & { userPoolId: string };

export function userPoolPartsFromEnvironment(env: Env = process.env): UserPoolParts {
  const factories = { dynamo: createDynamo, rekognition: createRekognition, s3: createS3, cognito: createCognito };
  return { ...fromEnvironment(factories, env), userPoolId: loadUserPoolId(env) };
}
