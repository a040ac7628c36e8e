"""/openapi.json is generated from the route table: valid OpenAPI 3.1 and covering every REST route."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate
from starlette.routing import Route


async def test_openapi_is_valid_and_complete(api, app):
    r = await api.http.get("/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    documented = {(path, m.upper()) for path, ops in spec["paths"].items() for m in ops}
    served = {
        (route.path, m)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/")
        for m in route.methods or ()
        if m != "HEAD"
    }
    assert served == documented
    for path, ops in spec["paths"].items():
        for op in ops.values():
            # Called by Stripe only, or the signed URL a player opens (minted by Query.streamUrl): no twin.
            if op["operationId"] in {"stripeWebhook", "streamSignedManifest"}:
                assert "x-graphql" not in op
                continue
            assert op["x-graphql"].split(".")[0] in {"Query", "Mutation", "Artist", "Release", "Playlist"}
            assert op["summary"] and op["tags"]


async def test_contract_operations_so_far(api):
    spec = (await api.http.get("/openapi.json")).json()
    paths = spec["paths"]
    assert set(paths["/api/users/{user_id}"]) == {"get", "patch", "put", "delete"}
    assert "post" in paths["/api/oauth/token"] and "post" in paths["/api/users/{user_id}/udt"]
    assert paths["/api/users"]["post"]["responses"]["201"]
    assert paths["/api/users/{user_id}"]["delete"]["responses"]["204"]
    assert paths["/api/users"]["get"]["security"] == [{"OAuth2": []}]
    assert {p.get("name") for p in paths["/api/users"]["get"]["parameters"]} == {"page", "per_page", "cursor", None}  # cursor: 17.3
    assert paths["/api/users"]["get"]["parameters"][-1] == {"$ref": "#/components/parameters/RequestId"}


REFERENCE_TAGS = ["Public & Health", "Authentication", "Users", "Profile", "Checkout", "Home", "Playlists",
                  "Artists", "Releases", "Tracks", "Streaming"]


async def test_tags_in_the_reference_order_with_its_texts(api):
    spec = (await api.http.get("/openapi.json")).json()
    names = [t["name"] for t in spec["tags"]]
    assert names[: len(REFERENCE_TAGS)] == REFERENCE_TAGS and names[len(REFERENCE_TAGS):] == ["Billing", "CORS"]
    assert all(t["description"] for t in spec["tags"])
    ops = {op["operationId"]: op for ops in spec["paths"].values() for op in ops.values()}
    # A few of the reference's texts, verbatim.
    assert ops["listUsers"]["description"].startswith("Returns a paginated list of users.")
    assert ops["streamTrack"]["description"].startswith("Returns an HLS manifest from the streaming server")
    assert ops["mintUserDelegationToken"]["tags"] == ["Authentication", "Users"]  # listed under both, as there
    udt = {p.get("name"): p for p in ops["mintUserDelegationToken"]["parameters"]}["user_id"]
    assert udt["description"] == "ID of the end user for whom the UDT is issued." and udt["schema"]["format"] == "uuid"
    home = {p.get("name"): p for p in ops["getHome"]["parameters"]}["X-Tenant"]
    assert home["example"] == "acme-records"


def _validator(spec):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:openapi", Resource.from_contents(spec, default_specification=DRAFT202012))

    def validate(schema, value, where):
        absolute = json.loads(json.dumps(schema).replace('"#/components/', '"urn:openapi#/components/'))
        errors = list(Draft202012Validator(absolute, registry=registry).iter_errors(value))
        assert not errors, f"{where}: {errors[0].message} at {list(errors[0].absolute_path)}"

    return validate


async def test_every_operation_has_samples_that_match_its_schemas(api):
    """Request and response samples for every operation (the reference's, in Redoc's sample panes), every
    error response of the contract with its body; each sample validates against its own schema."""
    spec = (await api.http.get("/openapi.json")).json()
    validate = _validator(spec)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            assert op.get("description"), where
            if "requestBody" in op:
                media = op["requestBody"]["content"]["application/json"]
                assert "example" in media, f"{where}: no request sample"
                validate(media["schema"], media["example"], f"{where} request sample")
            for status, response in op["responses"].items():
                if status == "204":
                    assert "content" not in response
                    continue
                media = next(iter(response["content"].values()))
                samples = [e["value"] for e in media.get("examples", {}).values()]
                if "example" in media:
                    samples.append(media["example"])
                assert samples, f"{where} {status}: no sample"
                if media["schema"].get("type") == "string":
                    assert all(isinstance(s, str) for s in samples)
                    continue
                for sample in samples:
                    validate(media["schema"], sample, f"{where} {status} sample")


async def test_error_responses_carry_the_contract_bodies(api):
    spec = (await api.http.get("/openapi.json")).json()
    ops = {op["operationId"]: op for ops in spec["paths"].values() for op in ops.values()}
    codes = lambda op, status: {e["value"].get("code") or e["value"].get("error") or e["value"].get("status")  # noqa: E731
                                for e in op["responses"][status]["content"]["application/json"]["examples"].values()}
    assert codes(ops["getUser"], "401") == {"UNAUTHENTICATED", "INVALID_AUTH_TOKEN"}
    assert codes(ops["getHome"], "401") == {"INVALID_AUTH_TOKEN"}  # auth is optional there
    assert codes(ops["issueClientToken"], "401") == {"invalid_client"}
    assert codes(ops["issueClientToken"], "400") == {"invalid_request", "unsupported_grant_type"}
    assert codes(ops["streamTrack"], "403") == {"FORBIDDEN", "SUBSCRIPTION_REQUIRED"}
    assert codes(ops["streamTrack"], "502") == {"STREAMING_ERROR"}
    assert codes(ops["getTrack"], "504") == {"AGGREGATOR_TIMEOUT"}
    assert codes(ops["aggregatorStatus"], "503") == {"down"}
    assert codes(ops["createCheckoutSession"], "409") == {"ALREADY_SUBSCRIBED"}
    assert "Retry-After" in ops["requestEmailOtp"]["responses"]["429"]["headers"]
    for op in ops.values():  # every protected operation documents its 401
        if op["security"] and {} not in op["security"]:
            assert "401" in op["responses"], op["operationId"]


async def test_docs_is_redoc_served_from_this_server(api):
    r = await api.http.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<redoc spec-url="/openapi.json"' in r.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert sources and all(s.startswith(("/", "data:")) for s in sources), sources  # nothing from a CDN
    script = next(s for s in sources if "redoc.standalone.js" in s)
    asset = await api.http.get(script)
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
    assert "immutable" in asset.headers["cache-control"] and "cdn.redoc.ly" not in asset.text


async def test_graphiql_served_to_browsers(api):
    r = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()
    sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert all(s.startswith(("/static/", "data:")) for s in sources), sources  # nothing from a CDN
    assert {s.split("?")[0].rsplit("/", 1)[1] for s in sources if s.startswith("/static/")} >= {
        "graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "init.js"}
    for source in sources:
        if source.startswith("/static/"):
            asset = await api.http.get(source, headers={"Accept-Encoding": "gzip"})
            assert asset.status_code == 200 and "max-age=31536000" in asset.headers["cache-control"], source
    config = json.loads(re.search(r'id="yourmusic-graphiql-config">(.*?)</script>', r.text, re.S).group(1))
    assert config["endpoint"] == "/graphql"
    assert json.loads(config["defaultHeaders"]) == {"Authorization": "Bearer <token>"}
    for operation in ("query Heartbeat", "query SearchTracks", "query Me", "query Playlist",
                      "subscription PlaylistLive"):
        assert operation in config["defaultQuery"]


def test_graphiql_default_document_is_valid():
    """The example operations GraphiQL opens with are valid against the schema (they cannot rot)."""
    from graphql import OperationDefinitionNode, parse, validate as validate_document

    from yourmusic.schema import build_schema
    from yourmusic.webui import DEFAULT_DOCUMENT

    document = parse(DEFAULT_DOCUMENT)
    assert validate_document(build_schema()._schema, document) == []
    names = {d.name.value for d in document.definitions if isinstance(d, OperationDefinitionNode)}
    assert {"Heartbeat", "SearchTracks", "Me", "Playlist", "PlaylistLive"} <= names


async def test_graphiql_example_operations_run(api, tenant):
    """The examples answer as documented with the right token (client token: search; user token: me)."""
    from yourmusic.webui import DEFAULT_DOCUMENT

    client = {"Authorization": f"Bearer {tenant.token}"}
    r = await api.http.post("/graphql", json={"query": DEFAULT_DOCUMENT, "operationName": "SearchTracks"}, headers=client)
    assert r.status_code == 200 and r.json()["data"]["searchTracks"]["results"], r.text
    r = await api.http.post("/graphql", json={"query": DEFAULT_DOCUMENT, "operationName": "Heartbeat"})
    assert r.json()["data"]["heartbeat"]


# --------------------------------------------------------------------------- what generated clients need (issue 18)


def _components(spec):
    return spec["components"]["schemas"]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


async def test_servers_license_and_no_made_up_titles(api):
    spec = (await api.http.get("/openapi.json")).json()
    assert spec["servers"] and spec["info"]["license"]["name"]
    for name, schema in _components(spec).items():
        for prop_name, prop in schema.get("properties", {}).items():
            # Pydantic's titles from field names ("Pm Type") made Redoc print "Pm Type (string) or Pm Type (null)".
            assert "title" not in prop and all("title" not in branch for branch in prop.get("anyOf", [])), \
                f"{name}.{prop_name}"


async def test_every_property_is_described_with_the_references_texts_and_limits(api):
    spec = (await api.http.get("/openapi.json")).json()
    schemas = _components(spec)
    missing = [f"{name}.{p}" for name, s in schemas.items() for p, prop in s.get("properties", {}).items()
               if not prop.get("description")]
    assert not missing, f"properties without a description: {missing}"
    props = lambda name: schemas[name]["properties"]  # noqa: E731
    assert props("UdtRequest")["deviceId"]["description"] == "Unique identifier of the device the UDT is bound to."
    assert props("TrackRef")["track_id"]["description"] == "ID of the track to add."
    assert props("OtpRequest")["tenant"]["description"].startswith("Tenant slug")
    assert props("OtpRequest")["email"]["maxLength"] == 255 and props("OtpRequest")["email"]["format"] == "email"
    assert props("OtpRequest")["locale"]["description"].startswith("Preferred language")
    assert props("CheckoutInput")["product_slug"]["description"] == "Slug of the subscription product to checkout"
    for url in ("success_url", "cancel_url"):
        assert props("CheckoutInput")[url]["anyOf"][0]["format"] == "uri"
        assert "allowed redirect URL patterns" in props("CheckoutInput")[url]["description"]


async def test_no_operation_repeats_its_first_sentence(api):
    spec = (await api.http.get("/openapi.json")).json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            paragraphs = op["description"].split("\n\n")
            first = paragraphs[0].rstrip(".")
            assert not any(p.startswith(first) for p in paragraphs[1:]), f"{method.upper()} {path}"


async def test_catalog_and_home_answers_declare_their_fields(api):
    spec = (await api.http.get("/openapi.json")).json()
    ops = {op["operationId"]: op for ops in spec["paths"].values() for op in ops.values()}
    catalog = [op for op in ops.values() if op["tags"][0] in {"Artists", "Releases", "Tracks"}]
    assert len(catalog) == 11
    for op in catalog:
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["properties"] and schema["required"] and schema["additionalProperties"] is True, op["operationId"]
    track = _components(spec)["CatalogTrack"]
    assert track["additionalProperties"] is True and "streamId" in track["properties"]
    assert ops["getTrack"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["track"] == {
        "$ref": "#/components/schemas/CatalogTrack"}
    home = ops["getHome"]["responses"]["200"]["content"]["application/json"]["schema"]
    items = home["properties"]["modules"]["items"]["properties"]["items"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in items["items"]["anyOf"]} == {
        "HomeBannerOut", "HomePlaylistOut", "CatalogTrack", "CatalogRelease", "CatalogArtist"}
    # Every array says what it holds (openapi-python-client cannot read an array without `items`).
    assert all("items" in node for node in _walk(spec) if node.get("type") == "array")


async def test_a_body_read_from_several_media_types_has_a_component_for_each(api):
    spec = (await api.http.get("/openapi.json")).json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            refs = [m["schema"]["$ref"] for m in op.get("requestBody", {}).get("content", {}).values()]
            assert len(refs) == len(set(refs)), f"{method.upper()} {path}: one component under several media types"
    token = spec["paths"]["/api/oauth/token"]["post"]["requestBody"]["content"]
    form = _components(spec)["TokenRequestForm"]
    assert token["application/x-www-form-urlencoded"]["schema"] == {"$ref": "#/components/schemas/TokenRequestForm"}
    assert {k: v for k, v in form.items() if k != "title"} == {
        k: v for k, v in _components(spec)["TokenRequest"].items() if k != "title"}


async def test_live_catalog_and_home_answers_match_their_declared_schemas(api, tenant, upstream):
    """The declared fields are what the aggregator (the bundled sandbox) and the server really answer."""
    spec = (await api.http.get("/openapi.json")).json()
    validate = _validator(spec)
    calls = {
        ("/api/artists/search", "?q=ac"), ("/api/artists/browse", "?letter=a"), ("/api/artists/{artist_id}", ""),
        ("/api/artists/{artist_id}/releases", ""), ("/api/releases/search", "?q=rock"),
        ("/api/releases/batch", "?releaseids=1,2,999999&showErrors=true"), ("/api/releases/{release_id}", ""),
        ("/api/releases/{release_id}/tracks", ""), ("/api/tracks/search", "?q=rock"),
        ("/api/tracks/batch", "?trackids=1,2,999999&showErrors=true"), ("/api/tracks/{track_id}", ""),
    }
    for template, query in sorted(calls):
        r = await api.http.get(re.sub(r"{\w+}", "1", template) + query, headers=tenant.auth)
        assert r.status_code == 200, (template, r.text)
        schema = spec["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        validate(schema, r.json(), template)
    await api.http.put("/api/home", headers=tenant.auth, json={"title": "Home", "modules": [
        {"type": "hero", "title": "Featured", "link": {"kind": "release", "id": "1"}},
        {"type": "track_list", "title": "Tracks", "track_ids": ["1", "2"]},
        {"type": "artist_grid", "title": "Artists", "artist_ids": ["1"]},
        {"type": "release_carousel", "title": "Releases", "release_ids": ["1"]}]})
    home = await api.http.get("/api/home", headers=tenant.auth)
    assert [m["type"] for m in home.json()["modules"]] == ["hero", "track_list", "artist_grid", "release_carousel"]
    validate(spec["paths"]["/api/home"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
             home.json(), "/api/home")
