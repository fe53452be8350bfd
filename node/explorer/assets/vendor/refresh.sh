#!/usr/bin/env bash
# Rebuilds ../vendor.js, the graph library the explorer's lineage graph
# draws with, from the npm packages at the versions named below, and copies
# their licences here. To move to a new release: change a version, run
# this script from anywhere, check `git diff` (VERSIONS records what each
# tarball hashed to), run the browser tests (node/explorer/browsertest),
# and commit vendor.js, VERSIONS and the licences together.
set -euo pipefail
CYTOSCAPE=3.35.0
CYTOSCAPE_DAGRE=4.0.1
# cytoscape-dagre's dist bundles these two; installed only for their licences.
DAGRE=3.0.0
GRAPHLIB=4.0.1

here=$(cd "$(dirname "$0")" && pwd)
out=$here/../vendor.js
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
  "cytoscape@$CYTOSCAPE" "cytoscape-dagre@$CYTOSCAPE_DAGRE" \
  "@dagrejs/dagre@$DAGRE" "@dagrejs/graphlib@$GRAPHLIB" >/dev/null
m=node_modules
cp $m/cytoscape/LICENSE "$here/LICENSE.cytoscape"
cp $m/cytoscape-dagre/LICENSE "$here/LICENSE.cytoscape-dagre"
cp $m/@dagrejs/dagre/LICENSE "$here/LICENSE.dagre"
cp $m/@dagrejs/graphlib/LICENSE "$here/LICENSE.graphlib"

grep -q "var U=\"$DAGRE\"" $m/cytoscape-dagre/dist/cytoscape-dagre.js ||
  { echo "cytoscape-dagre $CYTOSCAPE_DAGRE no longer bundles dagre $DAGRE: update DAGRE (and GRAPHLIB)" >&2; exit 1; }

{
  printf '/*! vendor.js: the graph library of the explorer, built by assets/vendor/refresh.sh.\n'
  printf ' * cytoscape %s (MIT, The Cytoscape Consortium), cytoscape-dagre %s (MIT),\n' "$CYTOSCAPE" "$CYTOSCAPE_DAGRE"
  printf ' * which bundles @dagrejs/dagre %s (MIT, Chris Pettitt) and @dagrejs/graphlib %s\n' "$DAGRE" "$GRAPHLIB"
  printf ' * (MIT, Chris Pettitt). Licences in assets/vendor/LICENSE.*, versions in VERSIONS. */\n'
  sed '/^\/\/# sourceMappingURL=/d' $m/cytoscape/dist/cytoscape.min.js
  printf '\n;\n'
  sed '/^\/\/# sourceMappingURL=/d' $m/cytoscape-dagre/dist/cytoscape-dagre.min.js
  printf '\n'
} >"$out"

{
  echo "# What assets/vendor.js is made of; rebuilt by refresh.sh (npm registry tarballs)."
  echo "# package version licence integrity(npm dist.integrity)"
  for p in cytoscape cytoscape-dagre @dagrejs/dagre @dagrejs/graphlib; do
    node -e '
      const lock = require("./package-lock.json").packages["node_modules/" + process.argv[1]];
      const pkg = require("./node_modules/" + process.argv[1] + "/package.json");
      console.log([process.argv[1], pkg.version, pkg.license, lock.integrity].join(" "));' "$p"
  done
  echo "# vendor.js sha256 $(sha256sum "$out" | cut -d' ' -f1)"
} >"$here/VERSIONS"
echo "wrote $out ($(wc -c <"$out") bytes) and $here/VERSIONS"
