// Preloaded into firebase-tools (`node --require <this file> firebase.js ...`) by hybridstack's
// local cloud. The Auth emulator builds its REST API with exegesis, which by default compiles an
// AJV validator for every request and response schema of the whole Identity Toolkit API before
// the emulator listens: measured at 15-20 s of CPU on a 2-core machine, most of the Auth
// emulator's start time. exegesis has a documented option, `lazyCompileValidationSchemas`, that
// compiles each validator on first use instead; firebase-tools does not set it, so this turns
// it on by default. Validation itself is unchanged (same schemas, same errors).
"use strict";
const path = require("path");

function exegesisOptionsModule() {
  // Resolve exegesis the way firebase-tools does (from its own node_modules).
  const firebaseTools = path.dirname(require.resolve("firebase-tools/package.json", {
    paths: [process.env.HYBRIDSTACK_FIREBASE_TOOLS_DIR || process.cwd()],
  }));
  return require(require.resolve("exegesis/lib/options.js", { paths: [firebaseTools] }));
}

try {
  const options = exegesisOptionsModule();
  const compileOptions = options.compileOptions;
  options.compileOptions = function lazyCompileOptions(given) {
    const compiled = compileOptions(given);
    if (!given || given.lazyCompileValidationSchemas === undefined) {
      compiled.lazyCompileValidationSchemas = true;
    }
    return compiled;
  };
} catch (err) {
  // Never stop the emulators for an optimisation: report it and start as usual.
  process.stderr.write(`hybridstack: lazy validator compilation not enabled: ${err}\n`);
}
