// GraphiQL for YourMusic: every asset comes from this server (/static), nothing from a CDN.
// The default document, the headers template and the endpoint come from the page's JSON config.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("yourmusic-graphiql-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
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
