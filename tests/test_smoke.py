async def test_heartbeat(api):
    r = await api.http.get("/api/heartbeat")
    assert r.status_code == 200
    assert r.json()["time"].endswith("+00:00")


async def test_tenant_and_user(api, tenant):
    u = await api.create_user(tenant)
    assert u["status"] == "UNSUBSCRIBED"
