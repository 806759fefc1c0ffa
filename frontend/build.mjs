// Front-end asset build: compiles the USWDS-based stylesheet and copies the USWDS
// JavaScript, fonts and images into static/build/ (served by Django's staticfiles).
//
// Usage: npm run build   (or: node frontend/build.mjs)
// Idempotent: the output folders are recreated on every run.
// Exits non-zero if Sass fails.

import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const started = process.hrtime.bigint();

// Every path is relative to the project root (the folder above this script).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fromRoot = (...parts) => path.join(root, ...parts);

const uswds = fromRoot("node_modules", "@uswds", "uswds");
const source = fromRoot("frontend", "portal.scss");
const out = fromRoot("static", "build");
const cssFile = path.join(out, "css", "portal.css");

function copyDir(from, to) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  let count = 0;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) {
      count += copyDir(src, dest);
    } else if (entry.isFile()) {
      fs.copyFileSync(src, dest);
      count += 1;
    }
  }
  return count;
}

function main() {
  if (!fs.existsSync(uswds)) {
    throw new Error("node_modules/@uswds/uswds is missing: run `npm ci` first.");
  }

  // 1. Stylesheet.
  const result = sass.compile(source, {
    loadPaths: [path.join(uswds, "packages")],
    style: "compressed",
    sourceMap: false,
    // Deprecation warnings from USWDS's own files are not ours to fix. (With
    // sass 1.108.2 and USWDS 3.14.0 there are none, so no silenceDeprecations.)
    quietDeps: true,
  });
  fs.mkdirSync(path.dirname(cssFile), { recursive: true });
  const tmp = `${cssFile}.tmp`;
  fs.writeFileSync(tmp, result.css + "\n");
  fs.renameSync(tmp, cssFile);

  // 2. USWDS JavaScript.
  const jsDir = path.join(out, "js");
  fs.mkdirSync(jsDir, { recursive: true });
  // The source maps go along: the minified files reference them, and collectstatic's manifest needs them.
  const scripts = ["uswds.min.js", "uswds.min.js.map", "uswds-init.min.js", "uswds-init.min.js.map"];
  for (const name of scripts) {
    fs.copyFileSync(path.join(uswds, "dist", "js", name), path.join(jsDir, name));
  }

  // 3. Fonts and images (the CSS refers to them as ../fonts and ../img).
  const fonts = copyDir(path.join(uswds, "dist", "fonts"), path.join(out, "fonts"));
  const images = copyDir(path.join(uswds, "dist", "img"), path.join(out, "img"));

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kib = (fs.statSync(cssFile).size / 1024).toFixed(0);
  console.log(
    `built ${path.relative(root, cssFile)} (${kib} KiB), ${scripts.length} scripts, ` +
      `${fonts} font files, ${images} images in ${seconds.toFixed(1)} s`,
  );
}

try {
  main();
} catch (error) {
  // sass.Exception's toString() includes the file, line and a code excerpt.
  console.error(`frontend build failed:\n${error instanceof sass.Exception ? error.toString() : error.stack ?? error}`);
  process.exit(1);
}
