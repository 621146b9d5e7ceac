/**
 * Pilote's raw SQL, sent straight to the driver adapter under its Prisma client: the
 * connection of the transaction it runs in, or the client's pool outside one. Prisma's own
 * `$queryRaw` costs some 160–270 µs of CPU per statement inside an interactive transaction
 * (its transaction client, request pipeline and query interpreter), against about 50 µs here
 * (docs/performance.md, thirteenth round); a command runs three such statements in its
 * transaction. What a statement takes and gives back is what `$queryRaw` takes and gives back
 * (the same parameter and column conversions, the same `P2010` error for a database failure),
 * so only the way there changes. Model calls (`db.task.update(…)`) keep going through Prisma,
 * in the same transaction.
 *
 * How a transaction's connection is found: {@link prismaClient} wraps the adapter factory, and
 * {@link transaction} runs `prisma.$transaction` inside an `AsyncLocalStorage` scope in which
 * the wrapped adapter's `startTransaction` leaves the driver transaction it opened; the
 * callback's transaction client is then mapped to it. A driver transaction is marked closed as
 * soon as Prisma sends its `COMMIT` or `ROLLBACK` (a timeout's included): a statement after that
 * fails as Prisma's own would (`P2028`) instead of running on a connection back in the pool.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ColumnTypeEnum,
  isDriverAdapterError,
  type ArgType,
  type ColumnType,
  type SqlDriverAdapter,
  type SqlDriverAdapterFactory,
  type SqlQuery,
  type SqlQueryable,
  type Transaction,
} from '@prisma/driver-adapter-utils';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { Tx } from './client.js';

/** A driver transaction as Pilote tracks it: closed once Prisma ends it. */
interface OpenTransaction {
  driver: Transaction;
  closed: boolean;
}

/** The connected adapter of a client (unset before it connects and after it disconnects). */
interface ClientState {
  adapter?: SqlDriverAdapter;
}

/** Where the wrapped `startTransaction` leaves what it opened, for {@link transaction}. */
const starting = new AsyncLocalStorage<{ opened?: OpenTransaction }>();
const transactions = new WeakMap<object, OpenTransaction>();
const clients = new WeakMap<object, ClientState>();

/** Marks `open` closed when Prisma commits or rolls it back, before the statement is sent. */
function tracked(driver: Transaction): OpenTransaction {
  const open: OpenTransaction = { driver, closed: false };
  const executeRaw = driver.executeRaw.bind(driver);
  const commit = driver.commit.bind(driver);
  const rollback = driver.rollback.bind(driver);
  driver.executeRaw = (query) => {
    // Exactly Prisma's own statements: `ROLLBACK TO SAVEPOINT …` leaves the transaction open.
    if (query.sql === 'COMMIT' || query.sql === 'ROLLBACK') open.closed = true;
    return executeRaw(query);
  };
  driver.commit = () => {
    open.closed = true;
    return commit();
  };
  driver.rollback = () => {
    open.closed = true;
    return rollback();
  };
  return open;
}

/**
 * A Prisma client on `factory` (PostgreSQL through adapter-pg, or the demo's PGlite) whose
 * raw SQL {@link queryRaw} and {@link executeRaw} can send straight to the adapter.
 */
export function prismaClient(factory: SqlDriverAdapterFactory, options: { errorFormat?: Prisma.ErrorFormat } = {}): PrismaClient {
  const state: ClientState = {};
  const wrapped: SqlDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const startTransaction = adapter.startTransaction.bind(adapter);
      const dispose = adapter.dispose.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => {
        const driver = await startTransaction(isolationLevel);
        const scope = starting.getStore();
        if (scope) scope.opened = tracked(driver);
        return driver;
      };
      adapter.dispose = async () => {
        if (state.adapter === adapter) state.adapter = undefined;
        await dispose();
      };
      state.adapter = adapter;
      return adapter;
    },
  };
  const client = new PrismaClient({ ...options, adapter: wrapped });
  clients.set(client, state);
  return client;
}

/**
 * `prisma.$transaction(fn, options)`, where the raw SQL of `fn` goes straight to the
 * transaction's connection. Every transaction of Pilote's code is opened here.
 */
export function transaction<T>(prisma: PrismaClient, fn: (db: Tx) => Promise<T>, options?: { maxWait?: number; timeout?: number }): Promise<T> {
  const scope: { opened?: OpenTransaction } = {};
  return starting.run(scope, () =>
    prisma.$transaction(async (db) => {
      if (scope.opened) transactions.set(db, scope.opened);
      return fn(db);
    }, options),
  );
}

/** Where `db`'s raw statements go: its driver transaction, or its client's adapter. */
async function queryableOf(db: Tx | PrismaClient): Promise<SqlQueryable> {
  const open = transactions.get(db);
  if (open) {
    if (open.closed) {
      throw new Prisma.PrismaClientKnownRequestError('Transaction already closed: a statement was sent after its commit or rollback.', {
        code: 'P2028',
        clientVersion: Prisma.prismaVersion.client,
      });
    }
    return open.driver;
  }
  const state = clients.get(db);
  if (!state) {
    throw new Error('Raw SQL runs on a transaction opened by transaction() or on a client made by prismaClient() (src/db/sql.ts).');
  }
  if (!state.adapter) await (db as PrismaClient).$connect();
  if (!state.adapter) throw new Error('The Prisma client did not connect its driver adapter.');
  return state.adapter;
}

/**
 * Runs a raw query (built with `Prisma.sql`) on `db`, a transaction client of
 * {@link transaction} or a client of {@link prismaClient}, and returns its rows as `$queryRaw`
 * would. A transaction client of a plain `prisma.$transaction` is refused: its connection is
 * not known here.
 */
export async function queryRaw<T = unknown[]>(db: Tx | PrismaClient, sql: Prisma.Sql): Promise<T> {
  const queryable = await queryableOf(db);
  const result = await queryable.queryRaw(driverQuery(sql)).catch(rethrowRaw);
  const { columnNames, columnTypes, rows } = result;
  const out: Record<string, unknown>[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const obj: Record<string, unknown> = {};
    for (let j = 0; j < row.length; j++) obj[columnNames[j]!] = fromColumn(row[j], columnTypes[j]!);
    out[i] = obj;
  }
  return out as T;
}

/** Runs a raw statement on `db` (as {@link queryRaw}) and returns how many rows it changed, as `$executeRaw` would. */
export async function executeRaw(db: Tx | PrismaClient, sql: Prisma.Sql): Promise<number> {
  const queryable = await queryableOf(db);
  return queryable.executeRaw(driverQuery(sql)).catch(rethrowRaw);
}

/** A database failure as `$queryRaw` reports it: `P2010`, the driver's error in `meta.driverAdapterError`. */
function rethrowRaw(err: unknown): never {
  if (!isDriverAdapterError(err)) throw err;
  const cause = err.cause as ConnectionCause & { originalCode?: string; originalMessage?: string };
  const message = cause.originalMessage ?? connectionMessage(cause) ?? err.message;
  throw new Prisma.PrismaClientKnownRequestError(`Raw query failed. Code: \`${cause.originalCode ?? 'N/A'}\`. Message: \`${message}\``, {
    code: 'P2010',
    clientVersion: Prisma.prismaVersion.client,
    meta: { driverAdapterError: err },
  });
}

/** What a driver error without a SQLSTATE carries: its kind, and some of these details. */
interface ConnectionCause {
  kind: string;
  host?: string;
  port?: number;
  user?: string;
  db?: string;
  reason?: string;
  cause?: string;
}

/** What a connection failure says, as Prisma's message for the same failure says it. */
function connectionMessage(cause: ConnectionCause): string | undefined {
  switch (cause.kind) {
    case 'DatabaseNotReachable': {
      const address = cause.host && cause.port ? `${cause.host}:${cause.port}` : cause.host;
      return `Can't reach database server${address ? ` at ${address}` : ''}`;
    }
    case 'ConnectionClosed':
      return 'Server has closed the connection.';
    case 'SocketTimeout':
      return 'Operation has timed out';
    case 'TooManyConnections':
      return `Too many database connections opened: ${cause.cause ?? '(not available)'}`;
    case 'AuthenticationFailed':
      return `Authentication failed against the database server, the provided database credentials for \`${cause.user ?? '(not available)'}\` are not valid`;
    case 'DatabaseDoesNotExist':
      return `Database \`${cause.db ?? '(not available)'}\` does not exist on the database server`;
    case 'DatabaseAccessDenied':
      return `User was denied access on the database \`${cause.db ?? '(not available)'}\``;
    case 'TlsConnectionError':
      return `Error opening a TLS connection: ${cause.reason ?? '(not available)'}`;
    default:
      return undefined;
  }
}

/** `sql` as the adapter takes it, its values encoded and typed as Prisma encodes a raw query's. */
function driverQuery(sql: Prisma.Sql): SqlQuery {
  const values = sql.values;
  const args: unknown[] = new Array(values.length);
  const argTypes: ArgType[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Array.isArray(value)) {
      const items = value.map((v) => toArg(v));
      args[i] = items.map((a) => a[0]);
      argTypes[i] = { scalarType: items.length > 0 ? items[0]![1] : 'unknown', arity: 'list' };
    } else {
      const [arg, scalarType] = toArg(value);
      args[i] = arg;
      argTypes[i] = { scalarType, arity: 'scalar' };
    }
  }
  return { sql: sql.text, args, argTypes };
}

/** One value of a raw query as Prisma passes it to the adapter, with its type. */
function toArg(value: unknown): [unknown, ArgType['scalarType']] {
  switch (typeof value) {
    case 'string':
      return [value, 'string'];
    case 'number':
      return [Number.isFinite(value) ? value : null, 'decimal'];
    case 'bigint':
      return [value.toString(), 'bigint'];
    case 'undefined':
      return [null, 'unknown'];
    case 'object':
      break;
    default:
      return [value, 'unknown'];
  }
  if (value === null) return [null, 'unknown'];
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Prisma.PrismaClientValidationError('Provided Date object is invalid', { clientVersion: Prisma.prismaVersion.client });
    return [value.toJSON(), 'datetime'];
  }
  if (Prisma.Decimal.isDecimal(value)) return [(value as Prisma.Decimal).toJSON(), 'decimal'];
  if (Buffer.isBuffer(value)) return [value.toString('base64'), 'bytes'];
  if (value instanceof ArrayBuffer) return [Buffer.from(value).toString('base64'), 'bytes'];
  if (ArrayBuffer.isView(value)) return [Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'), 'bytes'];
  if (Array.isArray(value)) return [value.map((v) => toArg(v)[0]), 'unknown'];
  // Any other object goes as its JSON, as Prisma sends it: one whose `toJSON` gives a plain
  // value (a luxon DateTime gives a string) goes as that value.
  const json: unknown = JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null');
  if (json !== null && typeof json === 'object') return [JSON.stringify(json), 'unknown'];
  return toArg(json);
}

/** One column's value as `$queryRaw` gives it back. */
function fromColumn(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case ColumnTypeEnum.Int32:
      return Math.trunc(typeof value === 'number' ? value : Number(value));
    case ColumnTypeEnum.Int64:
      return typeof value === 'number' ? BigInt(Math.trunc(value)) : BigInt(value as string);
    case ColumnTypeEnum.Json:
      return typeof value === 'string' ? JSON.parse(value) : value;
    case ColumnTypeEnum.Boolean:
      return typeof value === 'boolean' ? value : value === 'true' || value === '1' || value === 1;
    case ColumnTypeEnum.Numeric:
      return new Prisma.Decimal(value as string);
    case ColumnTypeEnum.DateTime:
    case ColumnTypeEnum.Date:
      return new Date(value as string);
    case ColumnTypeEnum.Time:
      return new Date(`1970-01-01T${value as string}Z`);
    case ColumnTypeEnum.Bytes:
      return new Uint8Array(typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.from(value as Uint8Array));
    default: {
      const element = ELEMENT_OF[type];
      return element === undefined ? value : (value as unknown[]).map((v) => fromColumn(v, element));
    }
  }
}

/** The element type of each array column type whose elements {@link fromColumn} converts. */
const ELEMENT_OF: Partial<Record<ColumnType, ColumnType>> = {
  [ColumnTypeEnum.Int32Array]: ColumnTypeEnum.Int32,
  [ColumnTypeEnum.Int64Array]: ColumnTypeEnum.Int64,
  [ColumnTypeEnum.JsonArray]: ColumnTypeEnum.Json,
  [ColumnTypeEnum.BooleanArray]: ColumnTypeEnum.Boolean,
  [ColumnTypeEnum.NumericArray]: ColumnTypeEnum.Numeric,
  [ColumnTypeEnum.DateTimeArray]: ColumnTypeEnum.DateTime,
  [ColumnTypeEnum.DateArray]: ColumnTypeEnum.Date,
  [ColumnTypeEnum.TimeArray]: ColumnTypeEnum.Time,
  [ColumnTypeEnum.BytesArray]: ColumnTypeEnum.Bytes,
};
