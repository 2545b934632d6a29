// Loaded with `node --import` into a process under test: counts calls of the Date methods that
// break a time down (the first of which sets up V8's date cache and ICU's time zone) and, on exit,
// writes each with the stack of its first call as JSON to the file named by DOCKMESH_TEST_DATE_CALLS.
import { writeFileSync } from 'node:fs';

const out = process.env.DOCKMESH_TEST_DATE_CALLS;
if (out) {
  const calls = {};
  const proto = Date.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (!/^(to|get)/.test(name) || name === 'getTime' || typeof proto[name] !== 'function') continue;
    const original = proto[name];
    proto[name] = function (...args) {
      calls[name] ??= { count: 0, first: new Error().stack.split('\n').slice(2, 8).join('\n') };
      calls[name].count++;
      return original.apply(this, args);
    };
  }
  process.on('exit', () => writeFileSync(out, JSON.stringify(calls)));
}
