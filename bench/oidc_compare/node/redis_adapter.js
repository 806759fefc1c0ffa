// A Redis adapter for node-oidc-provider (ioredis), for bench/oidc_compare.sh only. Modelled on the
// library repository's example/adapters/redis.js, the adapter its documentation points production
// deployments to (the built-in MemoryAdapter is for development):
//
// - every model instance is one key `oidc:<Model>:<id>` expiring with the model's TTL; a JSON
//   string, except the consumable models (codes, refresh tokens), which are hashes {payload,
//   consumed} so that consume() is one HSET;
// - tokens and codes of a grant are listed under `oidc:grant:<grantId>` (the list lives as long as
//   its longest-lived member) so that revokeByGrantId() deletes them all;
// - sessions and interactions are also found by `oidc:uid:<uid>`, device codes by
//   `oidc:userCode:<code>`.
import { Redis } from 'ioredis';

const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);
const consumable = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

const grantKey = (grantId) => `grant:${grantId}`;
const userCodeKey = (userCode) => `userCode:${userCode}`;
const uidKey = (uid) => `uid:${uid}`;

// redisAdapterFactory(url).RedisAdapter is the `adapter` option of the provider (one client for all models).
export default function redisAdapterFactory(url) {
  const client = new Redis(url, { keyPrefix: 'oidc:' });

  class RedisAdapter {
    constructor(name) {
      this.name = name;
      this.consumable = consumable.has(name);
    }

    key(id) {
      return `${this.name}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const multi = client.multi();
      if (this.consumable) {
        multi.del(key);
        multi.hset(key, { payload: JSON.stringify(payload) });
      } else {
        multi.set(key, JSON.stringify(payload));
      }
      if (expiresIn) multi.expire(key, expiresIn);

      if (grantable.has(this.name) && payload.grantId) {
        // The grant's list must outlive its longest-lived member. (The list grows with every token
        // of a long-lived grant; upstream suggests LTRIM if that matters.)
        const listKey = grantKey(payload.grantId);
        multi.rpush(listKey, key);
        const ttl = await client.ttl(listKey);
        if (expiresIn > ttl) multi.expire(listKey, expiresIn);
      }
      if (payload.userCode) {
        multi.set(userCodeKey(payload.userCode), id);
        if (expiresIn) multi.expire(userCodeKey(payload.userCode), expiresIn);
      }
      if (payload.uid) {
        multi.set(uidKey(payload.uid), id);
        if (expiresIn) multi.expire(uidKey(payload.uid), expiresIn);
      }
      await multi.exec();
    }

    async find(id) {
      if (!id) return undefined;
      if (!this.consumable) {
        const data = await client.get(this.key(id));
        return data ? JSON.parse(data) : undefined;
      }
      const { payload, consumed } = await client.hgetall(this.key(id));
      if (!payload) return undefined;
      return consumed ? { ...JSON.parse(payload), consumed: Number(consumed) } : JSON.parse(payload);
    }

    async findByUid(uid) {
      return this.find(await client.get(uidKey(uid)));
    }

    async findByUserCode(userCode) {
      return this.find(await client.get(userCodeKey(userCode)));
    }

    async consume(id) {
      await client.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
    }

    async destroy(id) {
      await client.del(this.key(id));
    }

    // eslint-disable-next-line class-methods-use-this
    async revokeByGrantId(grantId) {
      const keys = await client.lrange(grantKey(grantId), 0, -1);
      const multi = client.multi();
      // The list holds keys without the client's prefix; del() adds it again.
      for (const key of keys) multi.del(key);
      multi.del(grantKey(grantId));
      await multi.exec();
    }
  }

  return { RedisAdapter, client };
}
