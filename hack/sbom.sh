#!/usr/bin/env bash
# Writes a CycloneDX SBOM of Bulkhead's runtime dependencies (the packages `npm ci --omit dev`
# installs, read from package-lock.json) to $1 (default dist/bulkhead.cdx.json), with npm's own
# `npm sbom`. npm names the root component after the checkout's folder; the name is set to the
# package's (its bom-ref and purl already say so), so that a clone in any folder writes the same
# SBOM.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist/bulkhead.cdx.json}"
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "${out}.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
npm sbom --sbom-format cyclonedx --omit dev --package-lock-only --loglevel error > "$tmp"
node -e '
const fs = require("node:fs");
const [file] = process.argv.slice(1);
const bom = JSON.parse(fs.readFileSync(file, "utf8"));
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
if (bom.bomFormat !== "CycloneDX" || bom.metadata?.component === undefined) throw new Error("npm sbom wrote no CycloneDX document");
bom.metadata.component.name = pkg.name;
fs.writeFileSync(file, JSON.stringify(bom, null, 2) + "\n");
' "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "sbom: CycloneDX $(node -p 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).specVersion' "$out"), $(node -p 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).components.length' "$out") components, in $out"
