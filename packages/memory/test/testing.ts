// Test fixtures other packages' tests use (packages/db runs the contract on its Postgres store).

export { type TestRedis, testRedis } from './support/redis.ts';
export { type ContractOptions, type StoreFixture, vectorStoreContract } from './vector-store-contract.ts';
