#!/usr/bin/env bash
# Packs the library, installs the tarball into a fresh project and synthesizes RuntimeClasses from it,
# as a user's IaC repo would.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
tarball=$(npm pack --silent --pack-destination "${work}" | tail -n 1)
cd "${work}"
cat > package.json <<'JSON'
{ "name": "pack-smoke", "version": "0.0.0", "private": true }
JSON
npm install --no-audit --no-fund --silent "./${tarball}"
cat > synth.js <<'JS'
const { App, Chart } = require('cdk8s');
const { KataRuntime, Sandbox, CriFlavor, KataRuntimeClasses } = require('kata-blueprints');
const app = new App({ outdir: 'out' });
const chart = new Chart(app, 'cluster');
new KataRuntimeClasses(chart, 'rc', { runtimes: [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR] });
if (Sandbox.legacyUntrusted(CriFlavor.CONTAINERD).toString() !== 'legacy(containerd)') throw new Error('Sandbox export broken');
app.synth();
const yaml = require('fs').readFileSync('out/cluster.k8s.yaml', 'utf8');
if (!yaml.includes('handler: kata-qemu') || !yaml.includes('handler: kata-clh')) throw new Error('RuntimeClasses missing');
console.log('packed tarball: imported and synthesized RuntimeClasses');
JS
node synth.js
test -x node_modules/.bin/kata-blueprints
node_modules/.bin/kata-blueprints --help | grep -q 'kata-blueprints'
