/**
 * A rate limit for repeated log lines: counts an event on each call, and calls `say` with
 * the count (and the call's argument) at most once a minute, for log lines an event could
 * otherwise repeat thousands of times.
 */
export function everyMinute<A>(say: (count: number, arg?: A) => void): (arg?: A) => void {
  let count = 0;
  let saidAt = Number.NEGATIVE_INFINITY;
  return (arg) => {
    count++;
    if (performance.now() - saidAt < 60_000) return;
    saidAt = performance.now();
    say(count, arg);
  };
}
