/**
 * A regression injected on purpose, to show what the performance guard catches: loaded
 * into the API process with `node --import`, it busy-waits GUARD_INJECT_SPIN_US
 * microseconds of CPU on every HTTP request before the application sees it (as a slower
 * hook or serialiser would); with GUARD_INJECT_PATH, only on requests whose URL starts with
 * it. Used only by `npm run bench:guard -- --inject=slow|slow-search`.
 */
import http from 'node:http';

const spinUs = Number(process.env.GUARD_INJECT_SPIN_US ?? 0);
const onlyPath = process.env.GUARD_INJECT_PATH ?? '';
if (spinUs > 0) {
  const emit = http.Server.prototype.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    const url = (args[0] as http.IncomingMessage | undefined)?.url ?? '';
    if (event === 'request' && url.startsWith(onlyPath)) {
      const until = performance.now() + spinUs / 1000;
      while (performance.now() < until);
    }
    return emit.call(this, event, ...args);
  } as typeof http.Server.prototype.emit;
}
