// The GraphQL.js reference server for bench/perf.py: the same schema shape as YourMusic's benchmark
// queries (heartbeat; track -> release -> artist from in-memory data), served by graphql-http on
// Node's http module. Usage: node server.mjs PORT DATA_JSON
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/http';

const [port, dataPath] = process.argv.slice(2);
const data = JSON.parse(readFileSync(dataPath, 'utf8'));  // {tracks: {id: track}, releases: {id: release}, artists: {id: artist}}

const schema = buildSchema(`
  type Artist { id: ID! name: String! }
  type Release { id: ID! title: String! artist: Artist }
  type Track { id: ID! title: String! release: Release artist: Artist }
  type Query { heartbeat: String! track(id: ID!): Track }
`);

const artist = (id) => { const a = data.artists[String(id)]; return a && { id: a.id, name: a.name }; };
const release = (id) => {
  const r = data.releases[String(id)];
  return r && { id: r.id, title: r.title, artist: () => artist(r.artist.id) };
};
const rootValue = {
  heartbeat: () => new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00'),
  track: ({ id }) => {
    const t = data.tracks[String(id)];
    return t && { id: t.id, title: t.title, release: () => release(t.release.id), artist: () => artist(t.artist.id) };
  },
};

const handler = createHandler({ schema, rootValue });
createServer((req, res) => {
  if (req.url.startsWith('/graphql')) return handler(req, res);
  res.writeHead(404).end();
}).listen(Number(port), '127.0.0.1');
