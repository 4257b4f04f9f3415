/** Randomness, injected: a function returning a float in [0, 1). */
export type Random = () => number;

/** `Math.random`, the default source. */
export const systemRandom: Random = Math.random;

/**
 * A small, fast, seedable generator (mulberry32). Same seed, same sequence: tests and
 * simulations are reproducible.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
