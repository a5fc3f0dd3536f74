// Bundles the dashboard page (ui/main.ts, ui/style.css with uPlot's CSS) into dist/ui/ with
// esbuild: one script and one style sheet, served by the coordinator and inlined into static
// reports. Nothing is fetched from a CDN at run time.
import { build } from "esbuild";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const outdir = join(root, "dist", "ui");
const common = { bundle: true, minify: true, legalComments: "none", logLevel: "warning", absWorkingDir: root };
await build({ ...common, entryPoints: [join(root, "ui", "main.ts")], outfile: join(outdir, "dashboard.js"), format: "iife", target: ["es2020", "chrome100", "firefox100", "safari15"], platform: "browser", charset: "utf8" });
await build({ ...common, entryPoints: [join(root, "ui", "style.css")], outfile: join(outdir, "dashboard.css"), charset: "utf8" });
