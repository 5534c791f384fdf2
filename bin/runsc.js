#!/usr/bin/env node
// The runsc command: the CLI bundled by `npm run build` (dist/bundle/runsc.mjs).
import '../dist/bundle/runsc.mjs';
