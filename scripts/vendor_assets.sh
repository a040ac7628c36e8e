#!/usr/bin/env bash
# Fetch the browser assets served by /graphql (GraphiQL), /docs (Redoc) and /docs/try (Swagger UI) from npm, once, into
# yourmusic/static/. The built files are committed: the server never reaches a CDN (offline machines,
# corporate networks). Re-run only to upgrade; bump the pinned versions here and in yourmusic/static/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

GRAPHIQL=3.8.3    # the last GraphiQL with a UMD bundle (4.x and later ship ESM only)
REACT=18.3.1      # GraphiQL 3's UMD build expects React 18 globals
REDOC=2.5.4       # redoc 2.x ships bundles/redoc.standalone.js (3.x no longer does)
SWAGGER_UI=5.35.0 # swagger-ui-dist: the REST "try it" console (OpenAPI 3.1), one self-contained bundle

out=yourmusic/static
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts --omit=optional \
  "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "redoc@$REDOC" "swagger-ui-dist@$SWAGGER_UI" >/dev/null)
nm=$tmp/node_modules

mkdir -p "$out/graphiql" "$out/redoc" "$out/swagger-ui"
cp "$nm/react/umd/react.production.min.js" "$out/graphiql/react.production.min.js"
cp "$nm/react-dom/umd/react-dom.production.min.js" "$out/graphiql/react-dom.production.min.js"
cp "$nm/graphiql/graphiql.min.js" "$out/graphiql/graphiql.min.js"
cp "$nm/graphiql/graphiql.min.css" "$out/graphiql/graphiql.min.css"
cp "$nm/redoc/bundles/redoc.standalone.js" "$out/redoc/redoc.standalone.js"
# The one remote URL in the bundle: the sidebar's "API docs by Redocly" logo (an <img> from cdn.redoc.ly,
# hidden on error). Point it at an empty inline SVG so the page makes no request off this server.
sed -i 's#"https://cdn.redoc.ly/redoc/logo-mini.svg"#"data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E"#' \
  "$out/redoc/redoc.standalone.js"
if grep -q "cdn.redoc.ly" "$out/redoc/redoc.standalone.js"; then echo "redoc: a CDN URL is left" >&2; exit 1; fi
# Swagger UI: the bundle (it carries React and its plugins) and its stylesheet, without the source-map
# comment (the .map files are not vendored). Its online spec validator is switched off in
# static/swagger-ui/init.js (validatorUrl: null), so it makes no request off the server either.
cp "$nm/swagger-ui-dist/swagger-ui-bundle.js" "$out/swagger-ui/swagger-ui-bundle.js"
sed '/sourceMappingURL=/d' "$nm/swagger-ui-dist/swagger-ui.css" > "$out/swagger-ui/swagger-ui.css"
cp "$nm/swagger-ui-dist/NOTICE" "$out/NOTICE.swagger-ui-dist"  # Apache-2.0: the NOTICE travels with the files
for pkg in graphiql react react-dom redoc swagger-ui-dist; do
  cp "$nm/$pkg/LICENSE" "$out/LICENSE.$pkg" 2>/dev/null || cp "$nm/$pkg"/LICENSE* "$out/LICENSE.$pkg"
done
# What actually got installed (exact versions), for the README next to the files.
for pkg in graphiql react react-dom redoc swagger-ui-dist; do
  node -e "const p=require('$nm/$pkg/package.json');console.log(p.name+'@'+p.version+' '+(p.license||''))"
done
ls -l "$out"/graphiql "$out"/redoc "$out"/swagger-ui
