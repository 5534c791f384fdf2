#!/usr/bin/env node
// The runsc command: the CLI that `npm run build` bundles as one CommonJS
// script (dist/bundle/cli.cjs), run by the loader beside it from a V8 code
// cache (runsc/loader.ts). This file is CommonJS (bin/package.json): an
// ES-module entry cost each start ~7 ms more.
require('../dist/bundle/loader.cjs').runBundle('cli', process.argv.slice(2), process.env.RUNSC_TRAIN_CODE_CACHE === '1');
