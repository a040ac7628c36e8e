// The GraphQL-over-HTTP audit suite (npm graphql-http's auditServer) against a running /graphql.
//   node conformance/graphql-http-audit.mjs http://127.0.0.1:8000/graphql
// Prints every audit that is not ok, then the ok/notice/warn/error counts. Exit 1 when a MUST audit
// fails (an "error"); SHOULD/MAY findings are warnings, each explained in the README ("Conformance").
import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.GRAPHQL_URL || 'http://127.0.0.1:8000/graphql';
const results = await auditServer({ url });

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    let body = '';
    try {
      body = (await result.response.text()).slice(0, 200);
    } catch {
      body = '';
    }
    console.log(`${result.status.toUpperCase()} ${result.name}\n    ${result.reason}` +
      `\n    -> ${result.response.status} ${result.response.headers.get('content-type')} ${body}`);
  }
}
console.log(`graphql-http audit of ${url}: ${results.length} audits, ` +
  `${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ${counts.error} error`);
process.exit(counts.error > 0 ? 1 : 0);
