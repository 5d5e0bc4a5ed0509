/**
 * A regression injected on purpose, to show what the performance guard catches: loaded
 * into the API process with `node --import`, it busy-waits GUARD_INJECT_SPIN_US
 * microseconds of CPU on every HTTP request before the application sees it (as a slower
 * hook or serialiser would). Used only by `npm run bench:guard -- --inject=slow`.
 */
import http from 'node:http';

const spinUs = Number(process.env.GUARD_INJECT_SPIN_US ?? 0);
if (spinUs > 0) {
  const emit = http.Server.prototype.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') {
      const until = performance.now() + spinUs / 1000;
      while (performance.now() < until);
    }
    return emit.call(this, event, ...args);
  } as typeof http.Server.prototype.emit;
}
