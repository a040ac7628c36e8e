// GraphiQL for YourMusic: every asset comes from this server (/static), nothing from a CDN.
// The default document, the headers template and the endpoint come from the page's JSON config.
//
// Queries and mutations go over HTTP (POST /graphql) with the headers typed in the Headers tab.
// Subscriptions go over a WebSocket on the same path (ws:// or wss:// as the page), protocol
// graphql-transport-ws, with the Headers tab's Authorization in the `connection_init` payload:
// {"Authorization": "Bearer ..."}. One WebSocket per Authorization value, opened by the first subscription
// and closed when its last one ends; a new Authorization opens a new one. A close (a refused token: 4403,
// too many connections: 4429) ends that socket's subscriptions with an error at once (no retry loop).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("yourmusic-graphiql-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href);
  var wsEndpoint = new URL(endpoint.toString());
  wsEndpoint.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // The headers of the latest run (the Headers tab, as GraphiQL hands them to the fetcher).
  var lastHeaders = {};

  function authorization(headers) {
    for (var key in headers || {}) {
      if (key.toLowerCase() === "authorization" && typeof headers[key] === "string") return headers[key];
    }
    return "";
  }

  // A minimal graphql-transport-ws client with GraphiQL's `wsClient` interface: subscribe(params, sink) -> dispose.
  function liveClient(url) {
    var connections = {}; // Authorization value -> connection
    var nextId = 1;

    function connect(auth) {
      var conn = { auth: auth, socket: new WebSocket(url, "graphql-transport-ws"), sinks: {}, acked: false, queue: [] };
      function send(message) {
        if (conn.acked) conn.socket.send(JSON.stringify(message));
        else conn.queue.push(message);
      }
      conn.send = send;
      conn.socket.onopen = function () {
        conn.socket.send(JSON.stringify({ type: "connection_init", payload: auth ? { Authorization: auth } : {} }));
      };
      conn.socket.onmessage = function (event) {
        var message = JSON.parse(event.data);
        if (message.type === "connection_ack") {
          conn.acked = true;
          conn.queue.splice(0).forEach(function (m) { conn.socket.send(JSON.stringify(m)); });
        } else if (message.type === "ping") {
          conn.socket.send(JSON.stringify({ type: "pong" }));
        } else if (message.id && conn.sinks[message.id]) {
          var sink = conn.sinks[message.id];
          if (message.type === "next") {
            sink.next(message.payload);
          } else if (message.type === "error") {
            release(conn, message.id);
            sink.error(message.payload); // a list of GraphQL errors, shown as such
          } else if (message.type === "complete") {
            release(conn, message.id);
            sink.complete();
          }
        }
      };
      conn.socket.onclose = function (event) {
        if (connections[auth] === conn) delete connections[auth];
        var sinks = conn.sinks;
        conn.sinks = {};
        Object.keys(sinks).forEach(function (id) {
          sinks[id].error(new Error("The WebSocket closed: " + event.code + " " + (event.reason || "")));
        });
      };
      return conn;
    }

    // Forget one operation; the connection's last one closes it (no idle socket counts against the
    // per-user connection limit).
    function release(conn, id) {
      delete conn.sinks[id];
      if (Object.keys(conn.sinks).length === 0) {
        if (connections[conn.auth] === conn) delete connections[conn.auth];
        if (conn.socket.readyState <= 1) conn.socket.close(1000, "Normal Closure");
      }
    }

    return {
      subscribe: function (params, sink) {
        var auth = authorization(lastHeaders);
        var conn = connections[auth];
        if (!conn || conn.socket.readyState > 1) conn = connections[auth] = connect(auth);
        var id = String(nextId++);
        conn.sinks[id] = sink;
        conn.send({ id: id, type: "subscribe", payload: {
          query: params.query, variables: params.variables || {}, operationName: params.operationName || null } });
        return function dispose() {
          if (!conn.sinks[id]) return;
          conn.queue = conn.queue.filter(function (m) { return m.id !== id; }); // not sent yet: never will be
          if (conn.socket.readyState === 1 && conn.acked) conn.send({ id: id, type: "complete" });
          release(conn, id);
        };
      },
    };
  }

  var baseFetcher = GraphiQL.createFetcher({ url: endpoint.toString(), wsClient: liveClient(wsEndpoint.toString()) });
  function fetcher(params, opts) {
    lastHeaders = (opts && opts.headers) || {};
    return baseFetcher(params, opts);
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.defaultQuery,
      defaultHeaders: config.defaultHeaders,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    })
  );
})();
