#!/usr/bin/env node
// The runsc command: the compiled CLI lives in dist/ (npm install builds it).
import '../dist/runsc/main.js';
