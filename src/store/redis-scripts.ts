/**
 * The Lua scripts behind rotor's shared state in Redis. Each runs atomically, so replicas never
 * race on a count, a probe slot or a fact.
 */

/**
 * Admit one attempt. KEYS: minute count, day count, probe lock. ARGV: free (1/0), per-minute
 * limit (0 none), per-day limit (0 none), minute key TTL ms, day key TTL ms, probe (1/0), holder
 * id, probe lock TTL ms. Returns `{1}` (admitted, counted), `{0,'day'}`, `{0,'minute'}` or
 * `{0,'probe',pttl}`. The quota is checked before the probe slot is taken and counted only after,
 * so a denial changes nothing; the holder may take its own slot again (re-entrant).
 */
export const ADMIT_LUA = `
local free = ARGV[1] == '1'
if free then
  local perDay = tonumber(ARGV[3])
  if perDay > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= perDay then return {0, 'day'} end
  local perMinute = tonumber(ARGV[2])
  if perMinute > 0 and tonumber(redis.call('GET', KEYS[1]) or '0') >= perMinute then return {0, 'minute'} end
end
if ARGV[6] == '1' then
  local holder = redis.call('GET', KEYS[3])
  if holder and holder ~= ARGV[7] then return {0, 'probe', redis.call('PTTL', KEYS[3])} end
  redis.call('SET', KEYS[3], ARGV[7], 'PX', ARGV[8])
end
if free then
  redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return {1}
`;

/**
 * Record a health fact in the facts hash and publish it, unless the hash already holds the same
 * or a later one (facts never shorten each other). KEYS: facts hash. ARGV: field, record (JSON
 * with a numeric \`untilMs\`, or -1 for facts without an end), untilMs, channel, hash TTL ms,
 * mode (\`set\` | \`del\`: remove the field, e.g. a breaker closed, and publish). Returns 1 if
 * published.
 */
export const PUBLISH_FACT_LUA = `
if ARGV[6] == 'del' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('PUBLISH', ARGV[4], ARGV[2])
  return 1
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local untilMs = tonumber(ARGV[3])
  if untilMs < 0 then return 0 end
  local ok, old = pcall(cjson.decode, current)
  if ok and type(old) == 'table' and type(old.untilMs) == 'number' and old.untilMs >= untilMs then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
`;

/** Free a probe slot if `ARGV[1]` still holds it. KEYS: probe lock. */
export const RELEASE_PROBE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
