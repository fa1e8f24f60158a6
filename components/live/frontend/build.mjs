// Copies the locked plotly.js bundle beside the live frame's page, where the page loads it.
import { copyFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const bundle = require.resolve("plotly.js-cartesian-dist-min/plotly-cartesian.min.js");
copyFileSync(bundle, new URL("../frame_assets/plotly-cartesian.min.js", import.meta.url));
console.log(`live frame: ${bundle} copied`);
