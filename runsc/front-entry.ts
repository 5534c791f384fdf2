// The front's entry point (runsc/front.ts), bundled by `npm run build` as
// one CommonJS script (dist/bundle/front.cjs) that runsc/loader.ts compiles
// with a V8 code cache. bin/runsc.js runs it when its /bin/sh lines started
// Node for a plain run or do.
export { main } from './front.js';
